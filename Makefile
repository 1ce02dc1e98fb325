# proctraf - bytes per process over a fixed window.
#
#   make          build ./proctraf (nothing else: no package is installed)
#   make run      install what is missing, build, capture 5 s, print the report
#   make check    install what is missing, build, run every test layer
#   make install  PREFIX=/usr/local DESTDIR=   (install-strip: a stripped binary)
#
# CFLAGS, LDFLAGS, PREFIX and DESTDIR are honoured.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
PKG_CONFIG ?= pkg-config

# Debian packages: to build, and to test.
BUILD_DEBS := gcc make pkg-config libpcap-dev libcsv-dev libcap-ng-dev
TEST_DEBS  := libcmocka-dev tcpdump iproute2 python3 iputils-ping mandoc valgrind util-linux \
              libcap2-bin bash-completion zsh fish jq procps

CORE_SRCS := $(wildcard core/*.c)
CMD_SRCS  := $(wildcard cmd/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

BUILD ?= build
ASAN_BUILD := build-asan
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TSAN_BUILD := build-tsan
TSAN_FLAGS := -O1 -g -fsanitize=thread

# pkg-config is asked only when compiling, after deps have installed it.
PCAP_CFLAGS = $(shell $(PKG_CONFIG) --cflags libpcap 2>/dev/null)
PCAP_LIBS   = $(shell $(PKG_CONFIG) --libs libpcap 2>/dev/null || echo -lpcap)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
CAPNG_LIBS  = $(shell $(PKG_CONFIG) --libs libcap-ng 2>/dev/null || echo -lcap-ng)
LIBS        = $(PCAP_LIBS) $(CAPNG_LIBS) -lcsv -lpthread -lm

CORE_OBJS = $(CORE_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS  = $(CMD_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check deps deps-test install install-strip uninstall clean unit asan tsan lint \
	bench bench-accuracy

# Only builds: installing packages is for the two README commands (run, check).
all: proctraf

# Copied then renamed: a ./proctraf running meanwhile keeps its file.
proctraf: $(BUILD)/proctraf
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/proctraf: $(CMD_OBJS) $(BUILD)/libproctraf.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libproctraf.a: $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libproctraf.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a $(LIBS) $(CMOCKA_LIBS)

# The library's allocations through the test's own wrappers, which fail the Nth.
$(BUILD)/tests/test_resolve_oom: TEST_LDFLAGS = -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc

unit: $(UNIT_BINS)

# Install the Debian packages that are missing (needs root, or sudo).
deps:
	@sh tests/install-debs.sh $(BUILD_DEBS)

deps-test:
	@sh tests/install-debs.sh $(BUILD_DEBS) $(TEST_DEBS)

run: deps
	$(MAKE) proctraf
	./proctraf -d 5

asan:
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" \
		$(ASAN_BUILD)/proctraf unit

# The binary again under ThreadSanitizer, for the threads of a live capture.
tsan:
	$(MAKE) BUILD=$(TSAN_BUILD) CFLAGS="$(TSAN_FLAGS)" LDFLAGS="$(TSAN_FLAGS)" \
		$(TSAN_BUILD)/proctraf

check: deps-test
	$(MAKE) proctraf unit
	$(MAKE) asan
	$(MAKE) tsan
	sh tests/check.sh $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

lint:
	mandoc -Tlint -W warning proctraf.1

# Benchmarks (bench/README.md, bench/accuracy/README.md): as root; not part
# of `make check`. BENCH_ARGS, e.g. "--quick 1 2"; ACCURACY_ARGS, e.g. "--quick".
BENCH_ARGS ?=
ACCURACY_ARGS ?=

$(BUILD)/bench/resolve_bench: bench/resolve_bench.c $(BUILD)/libproctraf.a $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) -Icore $(LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a $(LIBS)

$(BUILD)/bench/hash_bench: bench/hash_bench.c $(BUILD)/libproctraf.a $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -Icore $(LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a

$(BUILD)/bench/forget_bench: bench/forget_bench.c $(BUILD)/libproctraf.a $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) -Icore $(LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a $(LIBS)

bench: deps-test $(BUILD)/proctraf $(BUILD)/bench/resolve_bench $(BUILD)/bench/hash_bench \
	$(BUILD)/bench/forget_bench
	PROCTRAF=$(BUILD)/proctraf LIBPROCTRAF=$(BUILD)/libproctraf.a \
		RESOLVE_BENCH=$(BUILD)/bench/resolve_bench sh bench/run.sh $(BENCH_ARGS)

bench-accuracy: deps-test $(BUILD)/proctraf
	sh bench/accuracy/run.sh $(BUILD)/proctraf $(ACCURACY_ARGS)

INSTALL_PROGRAM ?= install -m 0755
STRIP ?= strip

install: proctraf
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL_PROGRAM) proctraf $(DESTDIR)$(BINDIR)/proctraf
	install -m 0644 proctraf.1 $(DESTDIR)$(MANDIR)/man1/proctraf.1
	install -m 0644 completions/proctraf.bash $(DESTDIR)$(BASHCOMPDIR)/proctraf
	install -m 0644 completions/_proctraf $(DESTDIR)$(ZSHCOMPDIR)/_proctraf
	install -m 0644 completions/proctraf.fish $(DESTDIR)$(FISHCOMPDIR)/proctraf.fish

# The GNU convention: install, with the binary stripped of its symbols.
install-strip:
	$(MAKE) INSTALL_PROGRAM='install -m 0755 -s --strip-program=$(STRIP)' install

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/proctraf $(DESTDIR)$(MANDIR)/man1/proctraf.1 \
		$(DESTDIR)$(BASHCOMPDIR)/proctraf $(DESTDIR)$(ZSHCOMPDIR)/_proctraf \
		$(DESTDIR)$(FISHCOMPDIR)/proctraf.fish

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) proctraf
