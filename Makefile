# proctraf - bytes per process over a fixed window.
#
#   make          build ./proctraf (nothing else: no package is installed)
#   make run      install what is missing, build, capture 5 s, print the report
#   make check    install what is missing, build, run every test layer
#   make fuzz     the libFuzzer harnesses, FUZZ_SECONDS each (tests/fuzz/README.md)
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
BUILD_DEBS := gcc make pkg-config libpcap-dev libcsv-dev libcap-ng-dev libbpf-dev bpftool clang
TEST_DEBS  := libcmocka-dev tcpdump iproute2 python3 iputils-ping mandoc valgrind util-linux \
              libcap2-bin bash-completion zsh fish jq procps tshark wireshark-common \
              clang libclang-rt-dev prometheus prometheus-node-exporter
# Of those, the ones whose tests are skipped (and counted so) where they cannot be installed.
OPTIONAL_DEBS := tshark wireshark-common libclang-rt-dev prometheus prometheus-node-exporter

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
LIBS        = $(PCAP_LIBS) $(CAPNG_LIBS) $(BPF_LIBS) -lcsv -lpthread -lm

CORE_OBJS = $(CORE_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS  = $(CMD_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check deps deps-test install install-strip uninstall clean unit asan tsan lint \
	bench bench-accuracy bench-owners fuzz fuzz-build

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

# The kernel side of core/ownersrc.c: core/bpf/owners.bpf.c compiled by clang
# twice (with CO-RE reads of the task, and without, for kernels with no BTF),
# each embedded in a skeleton header that bpftool writes into the build dir.
BPF_CLANG ?= clang
BPFTOOL ?= $(firstword $(wildcard /usr/sbin/bpftool /usr/bin/bpftool) bpftool)
BPF_CFLAGS = -O2 -g -target bpf -Wall -Wextra -Werror -Icore/bpf \
	-I/usr/include/$(shell gcc -print-multiarch 2>/dev/null)
BPF_LIBS = $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)
BPF_SKELS = $(BUILD)/core/bpf/owners_core.skel.h $(BUILD)/core/bpf/owners_lite.skel.h

$(BUILD)/core/bpf/owners_core.bpf.o: core/bpf/owners.bpf.c core/bpf/owners.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -DOWNERS_CORE -c -o $@ $<

$(BUILD)/core/bpf/owners_lite.bpf.o: core/bpf/owners.bpf.c core/bpf/owners.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/core/bpf/%.skel.h: $(BUILD)/core/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv -f $@.tmp $@

$(BUILD)/core/ownersrc.o: core/ownersrc.c $(wildcard core/*.h) core/bpf/owners.h $(BPF_SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) -I$(BUILD)/core/bpf -c -o $@ $<

$(BUILD)/tests/test_ownersrc: tests/unit/test_ownersrc.c $(BUILD)/libproctraf.a \
		$(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(PCAP_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a $(LIBS) \
		$(BPF_LIBS) $(CMOCKA_LIBS)

# Install the Debian packages that are missing (needs root, or sudo).
deps:
	@sh tests/install-debs.sh $(BUILD_DEBS)

deps-test:
	@OPTIONAL_DEBS="$(OPTIONAL_DEBS)" sh tests/install-debs.sh $(BUILD_DEBS) $(TEST_DEBS)

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
	sh tests/check.sh $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

# libFuzzer harnesses (tests/fuzz/README.md): the core again, compiled by
# clang with the fuzzer's coverage and ASan+UBSan into a directory of its
# own, never mixed with gcc's objects. No -Werror here: a warning only
# clang gives must not stop the fuzzing, gcc's build holds the line.
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra
FUZZ_NAMES   := decode procnet cgroup session
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_OBJS     = $(CORE_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_SECONDS ?= 300
FUZZ_RUNS    ?= -1
FUZZ_JOBS    ?= 2

$(FUZZ_BUILD)/core/%.o: core/%.c $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PCAP_CFLAGS) \
		-c -o $@ $<

# The owner source includes the skeletons, which gcc's build dir holds.
$(FUZZ_BUILD)/core/ownersrc.o: core/ownersrc.c $(wildcard core/*.h) core/bpf/owners.h $(BPF_SKELS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PCAP_CFLAGS) \
		-I$(BUILD)/core/bpf -c -o $@ $<

$(FUZZ_BUILD)/libproctraf.a: $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libproctraf.a $(wildcard core/*.h)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(PCAP_CFLAGS) \
		-Werror -DFUZZ_GOLDEN='"$(CURDIR)/tests/golden"' -o $@ $< $(FUZZ_BUILD)/libproctraf.a $(LIBS) $(BPF_LIBS)

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS (or FUZZ_RUNS executions, if fewer),
# FUZZ_JOBS at a time; the corpus each one grows is kept in
# $(FUZZ_BUILD)/corpus/NAME for the next run. FUZZ_NAMES: some of them.
fuzz: deps-test
	$(MAKE) fuzz-build
	sh tests/fuzz/run.sh -j $(FUZZ_JOBS) -c $(FUZZ_BUILD)/corpus -n $(FUZZ_RUNS) \
		$(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

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

# What the kernel owner source costs socket operations, with and without it (root).
$(BUILD)/bench/owners_bench: bench/owners_bench.c $(BUILD)/libproctraf.a $(wildcard core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -Icore $(LDFLAGS) -o $@ $< $(BUILD)/libproctraf.a $(LIBS) $(BPF_LIBS)

bench-owners: deps $(BUILD)/bench/owners_bench
	$(BUILD)/bench/owners_bench $(OWNERS_BENCH_ARGS)

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
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) proctraf
