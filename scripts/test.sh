#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, builds (warnings are errors),
# runs every ctest test (unit, integration, e2e, fuzz replay), then builds the libFuzzer targets
# with clang (ASan+UBSan) and runs each briefly, and last runs the proxy's integration tests again
# under ASan+UBSan with leak checking (the session code manages buffers and lifetimes by hand).
#
#   scripts/test.sh                 everything
#   CG_FUZZ_SECONDS=60 scripts/test.sh   longer fuzzing runs (default 20 s per target)
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

# The proxy's integration tests under ASan+UBSan (g++), leaks checked: TLS on the socket, parked
# reads, the reactor read hint, deadlines, streamed bodies and upgrades against real peers.
cmake -S . -B build-asan -G Ninja -DCG_SANITIZE=ON -DCG_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j "$jobs" --target integration_proxy integration_tls_socket unit_proxy
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" \
    -R '^(proxy_service|tls_socket_pair|http_wire)\.'
