/* unit.h - what every cmocka test file needs. */
#ifndef PROCTRAF_UNIT_H
#define PROCTRAF_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#endif
