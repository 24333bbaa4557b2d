# SPDX-License-Identifier: GPL-2.0
# dmemu: `make run` (a test run on emulated devices in the default guest) and
# `make test` (the project's own tests). Both install what is missing first.

KVER := $(shell bash -c '. harness/lib/env.sh && _dmemu_default_kver')
# FLAVOUR: the guest kernel (harness/vm/kernel): debian, gcov or debug. The
# test kernels are built once into the cache; dm-targets build against them.
FLAVOUR ?= debian
ifeq ($(FLAVOUR),debian)
KDIR ?= /usr/src/linux-headers-$(KVER)
else
KDIR ?= $(shell harness/vm/kernel $(FLAVOUR))/build
endif
# Device groups: everything but the runner's fixtures and self-tests.
DEVICE_GROUPS := $(filter-out meta runner unit,$(notdir $(patsubst %/rc,%,$(wildcard blktests/tests/*/rc))))

.PHONY: all deps kernel modules emulators run test coverage nightly check-shell clean

all: modules emulators

deps:
	@harness/deps

kernel: deps
	@harness/vm/kernel $(FLAVOUR) >/dev/null

# flock: several checkouts' runs may build the same tree at once.
modules: kernel
	@flock dm-targets/.build.lock $(MAKE) -s -C dm-targets KDIR=$(KDIR)

emulators: deps
	@flock emulators/.build.lock $(MAKE) -s -C emulators

# The main job: every device group in the default guest, results in results/latest/.
run: modules emulators
	harness/check $(DEVICE_GROUPS)

# Every device group on the gcov kernel with the per-test coverage map:
# results/latest/coverage/ (html/, summary.txt, map.tsv, uncovered.txt).
coverage: emulators
	harness/check --coverage=per-test $(DEVICE_GROUPS)

# The nightly job: the suite on the debug kernel, then on the gcov kernel with
# coverage; JUnit, summary and report in results/nightly/ (see README).
nightly: emulators
	harness/coverage/nightly -o results/nightly

# The project's tests: shell lint, emulator unit tests, then every group
# (runner self-tests included) in the guest; the last line is the summary.
test: modules emulators check-shell
	harness/check

check-shell:
	@shellcheck -S warning -x harness/check harness/new harness/deps harness/vm/* harness/lib/*.sh harness/coverage/* \
		blktests/common/* blktests/tests/*/rc blktests/tests/*/[0-9][0-9][0-9] .ci/run

clean:
	@$(MAKE) -s -C dm-targets KDIR=$(KDIR) clean
	@if [ -f emulators/Makefile ]; then $(MAKE) -s -C emulators clean; fi
