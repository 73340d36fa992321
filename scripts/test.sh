#!/usr/bin/env bash
# The whole test suite from a fresh clone, as CI runs it (.ci/run). In order:
#   1. build/ (g++, warnings are errors) and every ctest test: unit, integration, e2e, fuzz
#      corpus replay, the Debian package and the container image;
#   2. the libFuzzer targets (clang, ASan+UBSan), each run CG_FUZZ_SECONDS (default 20 s);
#   3. the whole tree again under ASan+UBSan (g++, build-asan/) and the whole ctest suite there:
#      every unit, integration and e2e test and the corpus replays, with every process that runs
#      our code (test binaries, the gateway the e2e harnesses start, the CLI) halting on its first
#      error and checked for leaks at exit. Left out there: label `container` (the image packages
#      build/'s binary, not this one, and podman's own run time dominates) and label `package`
#      (the .deb of an ASan binary proves nothing the plain package test does not).
#
#   scripts/test.sh                        everything
#   CG_FUZZ_SECONDS=60 scripts/test.sh     longer fuzzing runs
#
# Sanitizer reports go to files (ASAN_OPTIONS log_path) and are printed at the end: a report from
# a gateway a Python harness started would otherwise vanish with the harness's temporary log. Any
# report fails the run, also one from a process whose test passed (a leak found at exit).
# Suppressions: tests/support/sanitizers/lsan.supp (third-party one-time allocations only, each
# with its reason). Timing: CG_TEST_TIME_SCALE=3 for build-asan (cmake/Testing.cmake) stretches
# the harnesses' readiness waits and the ctest limits, never what a test asserts about timing.
#
# Budget (the project's rule: the whole suite under 45 min on 2 cores), cold, 2 vCPU, measured
# 2026-12-05: build/ 8.3 min, its ctest 1.6 min, build-asan 11.3 min, its ctest 2.6 min, the
# fuzz runs 15 x CG_FUZZ_SECONDS; the package install, the fuzz build and the container test come
# on top.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCG_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

# libFuzzer build: only the fuzz targets and the pure parsers they link are compiled.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCG_FUZZ=ON -DCG_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if cmake --build build-fuzz --target help | grep -q '^fuzzers:'; then
  cmake --build build-fuzz -j "$jobs" --target fuzzers
  ctest --test-dir build-fuzz --output-on-failure -L fuzz -j "$jobs"
fi

# The whole tree under ASan+UBSan. -O1 -g1 (line tables): what ASan recommends, and the build is
# the largest single cost of this script; warnings are checked by build/ (g++ warns falsely under
# the sanitizers' instrumentation, e.g. -Wmismatched-new-delete inside Asio at -O1).
cmake -S . -B build-asan -G Ninja -DCG_SANITIZE=ON -DCG_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" >/dev/null
cmake --build build-asan -j "$jobs"
reports=$(mktemp -d /tmp/cg-sanitizer-XXXXXX)
supp=$PWD/tests/support/sanitizers/lsan.supp
status=0
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_init_order=1:log_path=$reports/asan" \
LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
CG_TEST_TIME_SCALE=3 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 1800 \
    -LE '^(container|package)$' || status=$?
if compgen -G "$reports/*" >/dev/null; then
  for f in "$reports"/*; do
    echo "=== sanitizer report $f"
    cat "$f"
  done
  status=1
fi
rm -rf "$reports"
exit "$status"
