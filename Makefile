# ngx_dvc: top-level build.  `make` builds the nginx module, the core library and
# the command-line tool; `make test` runs every test; `make demo` runs the gateway.
# See README.md.

SHELL       := /bin/bash
BUILD       := build
NGX_SRC     := /usr/share/nginx/src
NGX_TREE    := $(BUILD)/nginx
CC          ?= cc
CLANG       ?= clang

WARN        := -Wall -Wextra -Werror
CORE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -fPIC $(WARN) -Icore $(DVC_EXTRA_CFLAGS)
CORE_LIBS   := -Wl,-Bstatic -l:libhiredis.a -l:libyajl_s.a -l:libutf8proc.a -Wl,-Bdynamic \
               -lpcre2-8 -lidn2 -lcrypto -lm
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer

CORE_SRCS   := $(wildcard core/*.c)
CORE_HDRS   := $(wildcard core/*.h)
CORE_OBJS   := $(CORE_SRCS:core/%.c=$(BUILD)/core/%.o)
CORE_SAN_OBJS := $(CORE_SRCS:core/%.c=$(BUILD)/asan/core/%.o)
NGX_SRCS    := $(wildcard ngx_dvc_module/*.c ngx_dvc_module/*.h)
CLI_SRCS    := $(wildcard cli/*.c)
CLI_HDRS    := $(wildcard cli/*.h)
UNIT_SRCS   := $(wildcard core/tests/test_*.c)
UNIT_HDRS   := $(wildcard core/tests/*.h)
UNIT_BINS   := $(UNIT_SRCS:core/tests/%.c=$(BUILD)/tests/%)
UNIT_SAN_BINS := $(UNIT_SRCS:core/tests/%.c=$(BUILD)/asan/tests/%)

MODULE      := $(BUILD)/ngx_http_dvc_module.so
CORE_LIB    := $(BUILD)/libdvccore.a
CLI         := $(BUILD)/dvc


.PHONY: web web-screenshots
.PHONY: FORCE all deps module core cli test test-unit test-unit-asan test-conformance conformance-table test-integration-asan test-asan test-valgrind \
        test-integration test-faults test-faults-asan test-interop demo demo-stop fuzz fuzz-validator fuzz-smoke fuzz-build bench-lookup \
        bench-submit bench-validate bench-stats bench-strings bench-events bench-uploads bench-procedures deb test-deb test-docker clean

all: $(MODULE) $(CORE_LIB) $(CLI)

# ---------------------------------------------------------------- packages
deps:
	@scripts/deps.sh

# ---------------------------------------------------------------- core library
$(BUILD)/core/%.o: core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(BUILD)/asan/core/%.o: core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -O1 $(SAN_FLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libdvccore.a: $(CORE_SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

core: $(CORE_LIB)

# ---------------------------------------------------------------- command line
$(CLI): $(CLI_SRCS) $(CLI_HDRS) $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -Icli -o $@ $(CLI_SRCS) $(CORE_LIB) $(CORE_LIBS) $(DVC_EXTRA_LDFLAGS)

cli: $(CLI)

# ---------------------------------------------------------------- nginx module
# Configure once against Debian's nginx tree (its exact conf_flags, or nginx
# refuses the module's signature); re-run configure when `config` changes.
# `config` lists the sources when configure runs: a file added or removed
# must re-run it.  The list is rewritten only when it changes.
$(BUILD)/module-sources: FORCE
	@mkdir -p $(@D)
	@echo $(sort $(CORE_SRCS) $(CORE_HDRS) $(NGX_SRCS)) > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

FORCE:

$(NGX_TREE)/objs/Makefile: config $(BUILD)/module-sources
	rm -rf $(NGX_TREE) && mkdir -p $(BUILD) && cp -r $(NGX_SRC) $(NGX_TREE)
	source $(NGX_SRC)/conf_flags && cd $(NGX_TREE) && ./configure \
	    "$${NGX_CONF_FLAGS[@]}" --with-compat \
	    --with-cc-opt="$(WARN) -g -O2 -fPIC $(NGX_EXTRA_CFLAGS)" \
	    --with-ld-opt="$(NGX_EXTRA_LDFLAGS)" \
	    --add-dynamic-module=$(CURDIR) > configure.log 2>&1 \
	    || { tail -20 configure.log; exit 1; }

$(MODULE): $(NGX_TREE)/objs/Makefile $(NGX_SRCS) $(CORE_SRCS) $(CORE_HDRS)
	$(MAKE) -C $(NGX_TREE) -f objs/Makefile modules
	cp $(NGX_TREE)/objs/ngx_http_dvc_module.so $@

module: $(MODULE)

# ---------------------------------------------------------------- tests
$(BUILD)/tests/%: core/tests/%.c $(UNIT_HDRS) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_LIB) -lcmocka $(CORE_LIBS)

$(BUILD)/asan/tests/%: core/tests/%.c $(UNIT_HDRS) $(BUILD)/asan/libdvccore.a
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -O1 $(SAN_FLAGS) -o $@ $< $(BUILD)/asan/libdvccore.a \
	    -lcmocka $(CORE_LIBS)

# `make test` installs what it needs first, so a fresh machine (and CI) needs
# nothing else.
test:
	@scripts/deps.sh
	$(MAKE) all
	$(MAKE) test-unit test-unit-asan test-conformance test-interop test-integration test-faults test-asan test-deb test-docker

test-unit: $(UNIT_BINS)
	scripts/check-core-purity.sh
	@# issue 13: a call cycle between files or a function over 120 lines in
	@# core/ or ngx_dvc_module/ fails (split it: docs/hacking.md)
	scripts/shape-check.py --strict
	CMOCKA_MESSAGE_OUTPUT=TAP prove -f $(UNIT_BINS)

test-unit-asan: $(UNIT_SAN_BINS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    CMOCKA_MESSAGE_OUTPUT=TAP prove -f $(UNIT_SAN_BINS)

$(BUILD)/conformance-runner: t/conformance/runner.c $(CORE_LIB)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS)

test-conformance: $(CLI) $(BUILD)/conformance-runner
	t/conformance/run.sh

# the suite through ngx_dvc and ajv (the Node peer's version), side by side,
# into docs/validator.md (npm ci of t/conformance/ajv/; not in `make test`,
# which checks the table's ngx_dvc column)
conformance-table: $(BUILD)/conformance-runner
	t/conformance/compare --write

# libFuzzer on schema compile + streaming validation (clang), seeded from the
# official suite; FUZZ_SECS=600 for the 10-minute run.
FUZZ_SECS   ?= 60
$(BUILD)/fuzz/fuzz_schema: fuzz/fuzz_schema.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -Icore $(WARN) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

fuzz-validator: $(BUILD)/fuzz/fuzz_schema $(BUILD)/conformance-runner
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds
	$(BUILD)/conformance-runner -s $(BUILD)/fuzz/seeds \
	    -r ../shared/conformance/json-schema-test-suite/remotes \
	    ../shared/conformance/json-schema-test-suite/tests/draft2020-12/*.json \
	    ../shared/conformance/json-schema-test-suite/tests/draft2020-12/optional/*.json \
	    ../shared/conformance/json-schema-test-suite/tests/draft2020-12/optional/format/*.json \
	    > /dev/null || true
	cp examples/dossiers/*.json $(BUILD)/fuzz/seeds/ 2>/dev/null || true
	$(BUILD)/fuzz/fuzz_schema -max_total_time=$(FUZZ_SECS) -timeout=10 \
	    -rss_limit_mb=2048 $(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds

# signed documents against python3-jwcrypto and the openssl command line
test-interop: $(CLI)
	t/jws-interop.sh

test-integration: $(MODULE) web
	prove -r -j2 t/

# Redis killed, paused, full and read-only, nginx reloaded, all under load;
# idempotent retries across a failover: t/faults/README.md.
test-faults: $(MODULE) $(CLI)
	prove -j2 -e python3 t/faults/[0-9]*.py

test-faults-asan: $(CLI)
	$(MAKE) BUILD=build-asan build-asan/ngx_http_dvc_module.so \
	    NGX_EXTRA_CFLAGS="$(SAN_FLAGS)" NGX_EXTRA_LDFLAGS="-fsanitize=address,undefined"
	TEST_NGINX_MODULE=$(CURDIR)/build-asan/ngx_http_dvc_module.so \
	    TEST_NGINX_PRELOAD=$$($(CC) -print-file-name=libasan.so) prove -j2 -e python3 t/faults/[0-9]*.py

# The whole t/ suite with the module and core built with ASan+UBSan, loaded
# by Debian's own nginx with the sanitizer runtime preloaded (docs/security.md,
# "Sanitizers"); a report in the error log or in logs/sanitizer.PID fails the
# block.  test-integration-asan is its old name.
test-asan: web
	$(MAKE) BUILD=build-asan build-asan/ngx_http_dvc_module.so \
	    NGX_EXTRA_CFLAGS="$(SAN_FLAGS)" NGX_EXTRA_LDFLAGS="-fsanitize=address,undefined"
	TEST_NGINX_MODULE=$(CURDIR)/build-asan/ngx_http_dvc_module.so \
	    TEST_NGINX_ASAN_RT=$$($(CC) -print-file-name=libasan.so) prove -r -j2 t/

test-integration-asan: test-asan

# nginx (Debian's) under valgrind memcheck through a representative part of
# t/ (every endpoint, the hostile catalogue); every process's report is read
# by scripts/valgrind-summary.sh, which fails on any memory error or any
# definite/indirect leak with a frame of ours.  The tests' own verdicts are
# shown but do not decide (valgrind is ~30x slower; some assert timings).
VALGRIND_TESTS ?= t/010-lookup.t t/030-submit.t t/031-idempotency.t t/060-events.t \
                  t/061-withdrawal.t t/062-supplement.t t/063-rating.t t/064-intake.t \
                  t/070-stats.t t/080-hostile.t t/081-closed.t t/082-rate-limits.t
test-valgrind: $(MODULE) $(CLI)
	rm -f t/servroot-*/logs/valgrind.*
	-TEST_NGINX_BINARY=$(CURDIR)/scripts/valgrind-nginx.sh TEST_NGINX_NO_CLEAN=1 \
	    prove -j2 $(VALGRIND_TESTS)
	scripts/valgrind-summary.sh t/servroot-*/logs/valgrind.*

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (clang), core built with ASan+UBSan: fuzz/README.md.
# `make fuzz` runs fuzz-validator (above) and each of these for FUZZ_SECONDS
# (default FUZZ_SECS); `make fuzz-smoke` these 10 s each (not in test).
FUZZ_SECONDS ?= $(FUZZ_SECS)
FUZZ_FLAGS  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
FUZZ_NAMES  := validate schema calendar jws scan event_sig intake upload payment_ipn
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%_fuzz)
FUZZ_OBJS   := $(CORE_SRCS:core/%.c=$(BUILD)/fuzz/core/%.o)

$(BUILD)/fuzz/core/%.o: core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(filter-out -O2,$(CORE_CFLAGS)) -O1 \
	    $(subst fuzzer,fuzzer-no-link,$(FUZZ_FLAGS)) -c -o $@ $<

$(BUILD)/fuzz/libdvccore.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%_fuzz: fuzz/%_fuzz.c $(BUILD)/fuzz/libdvccore.a
	$(CLANG) $(filter-out -O2,$(CORE_CFLAGS)) -O1 $(FUZZ_FLAGS) \
	    -DFUZZ_DIR='"$(CURDIR)/fuzz"' -o $@ $< $(BUILD)/fuzz/libdvccore.a $(CORE_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(MAKE) fuzz-validator FUZZ_SECS=$(FUZZ_SECONDS)
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: $(FUZZ_BINS)
	fuzz/run.sh 10 $(FUZZ_NAMES)

# ---------------------------------------------------------------- package
# libnginx-mod-http-dvc, with debhelper and Debian's dh_nginx (debian/), as
# Debian packages its own libnginx-mod-*: built from a copy of the sources
# in build/deb/, so the .deb and dpkg-buildpackage's by-products stay in
# build/; lintian must report no error.
DEB_DIR     := $(BUILD)/deb
DEB_SRC     := $(DEB_DIR)/ngx-dvc
LINTIAN     ?= lintian

deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	cp -r Makefile config README.md core ngx_dvc_module cli schemas calendar \
	    docs examples debian $(DEB_SRC)/
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 \
	    || { tail -30 ../build.log; exit 1; }
	$(LINTIAN) --fail-on error --display-info $(DEB_DIR)/*.changes
	@ls -l $(DEB_DIR)/*.deb

# installs the .deb on this machine's nginx with apt-get, runs the example
# site, removes it (t/README.md, "The package test"); needs root
test-deb: deb
	prove -v -e bash t/deb/install.sh

# docker/ without a container engine: dockerfilelint, docker-compose config,
# the build context from .dockerignore (docker/README.md)
test-docker:
	prove -v -e bash docker/check.sh

# ---------------------------------------------------------------- web portal
# web/ is static; its one library (npm qrcode-generator, pinned by
# t/browser/package-lock.json with the browser tests' playwright-core and
# axe-core) is copied into web/vendor/, never fetched at run time.
t/browser/node_modules/.installed: t/browser/package.json t/browser/package-lock.json
	cd t/browser && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

web/vendor/qrcode.js: t/browser/node_modules/.installed
	@mkdir -p $(@D)
	cp t/browser/node_modules/qrcode-generator/qrcode.js $@

web: web/vendor/qrcode.js

# the portal's pages at 360 and 1280 px into docs/screenshots/ (t/120-portal.t)
web-screenshots: $(MODULE) web
	DVC_SHOTS_DIR=$(CURDIR)/docs/screenshots prove t/120-portal.t

# ---------------------------------------------------------------- demo
demo: deps all web
	scripts/demo.sh start

demo-stop:
	scripts/demo.sh stop

# ---------------------------------------------------------------- benchmark
# status lookups against the peers in ../shared/bench: bench/lookup/README.md
bench-lookup: $(MODULE)
	bench/lookup/run.sh

# submissions against the Node peer: bench/submit/README.md
bench-submit: $(MODULE) $(CLI)
	bench/submit/run.sh

# the validator against yajl's bare parse and ajv: bench/validate/README.md
# yajl linked first: its code then sits at the same address whatever the
# size of ours, so its speed (the ceiling) does not move with our changes
# (bench/validate/README.md: up to 20% by placement alone)
$(BUILD)/bench/validate_bench: bench/validate/validate_bench.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ -Wl,--whole-archive -l:libyajl_s.a \
	    -Wl,--no-whole-archive $< $(CORE_LIB) $(CORE_LIBS)

# the same with yajl N bytes further on (bench/validate/placements.sh)
$(BUILD)/bench/validate_bench_pad%: bench/validate/validate_bench.c $(CORE_LIB)
	@mkdir -p $(@D)
	printf '\t.text\n\t.globl dvc_bench_pad\ndvc_bench_pad:\n\t.fill %d, 1, 0x90\n\t.section .note.GNU-stack,"",@progbits\n' $* >$(@D)/pad$*.s
	$(CC) $(CORE_CFLAGS) -o $@ $(@D)/pad$*.s -Wl,--whole-archive \
	    -l:libyajl_s.a -Wl,--no-whole-archive $< $(CORE_LIB) $(CORE_LIBS)

# the ceiling as ../shared/bench/ceilings/yajl.sh builds it (Debian's
# shared libyajl)
$(BUILD)/bench/yajl_parse_shared: ../shared/bench/ceilings/yajl_parse.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -o $@ $< -lyajl

bench-validate: $(BUILD)/bench/validate_bench $(BUILD)/bench/yajl_parse_shared
	bench/validate/run.sh

# the statistics report over a year of 500,000 dossiers: bench/stats/README.md
$(BUILD)/bench/seed_stats: bench/stats/seed_stats.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS)

bench-stats: $(MODULE) $(CLI) $(BUILD)/bench/seed_stats
	bench/stats/run.sh

# N compiled procedures: nginx -t time, the workers' memory: bench/procedures/README.md
bench-procedures: $(MODULE) $(CLI)
	bench/procedures/run.sh

# the worker's CPU on 1-16 MB strings and deep nesting, linear or not: bench/strings/README.md
bench-strings: $(MODULE) $(CLI)
	bench/strings/run.sh

# signed back-end events, each checked applied exactly once: bench/events/README.md
$(BUILD)/bench/event_load: bench/events/event_load.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g $(WARN) -o $@ $< -lcrypto

bench-uploads: $(MODULE) $(CLI)
	bench/uploads/run.sh

bench-events: $(MODULE) $(CLI) $(BUILD)/bench/event_load
	bench/events/run.sh

clean:
	rm -rf $(BUILD)
