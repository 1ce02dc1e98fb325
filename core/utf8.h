/*
 * utf8.h - UTF-8 decoding and display width, for the writers.
 *
 * Process names are chosen by whoever starts a process: the writers pass
 * through only well-formed UTF-8 (RFC 3629) that a terminal merely prints.
 */
#ifndef PROCTRAF_UTF8_H
#define PROCTRAF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at s (1 for ASCII, including a
 * control byte), with its code point in *cp; 0 when s does not start one
 * (a stray, overlong or surrogate sequence, or one cut by the NUL).
 */
size_t utf8_decode(const unsigned char *s, uint32_t *cp);

/*
 * Columns a terminal gives cp (wcwidth, in the calling thread's locale
 * when it is a UTF-8 one; 1 otherwise), or -1 for a code point that must
 * not reach a terminal as it is: C0 and C1 controls, DEL, the bidi
 * controls that reorder text (U+202A-U+202E, U+2066-U+2069, U+200E,
 * U+200F, U+061C), the invisible ones (U+200B-U+200D, U+2060, U+FEFF),
 * and whatever wcwidth calls unprintable.
 */
int utf8_width(uint32_t cp);

#endif
