#!/usr/bin/env bash
# Hot reload under load with AddressSanitizer and UndefinedBehaviorSanitizer
# (issue 17): builds the daemon, the drivers it serves and the swap
# fixtures with both sanitizers in a folder of their own, then runs the
# daemon tests that replace a plugin .so and a check file while runs are in
# flight and requests hit the API, and stop the daemon with SIGTERM. A
# sanitizer report aborts the daemon (or a plugin worker), which those tests
# see as a crash, an unanswered request or a non-zero exit.
#
#   tests/daemon/scripts/sanitized_reload.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
out=$2
# The compiler launcher of the main build (ccache), if it has one.
launcher=${KINSPECT_TEST_COMPILER_LAUNCHER:-}
# -O1 -g1: what sanitizers are meant to run at, with line tables for their
# reports; it compiles quicker than -O2 -g.
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1" \
  -DCMAKE_C_FLAGS_RELEASE="-O1 -g1" -DKINSPECT_SANITIZE=address,undefined \
  -DKINSPECT_BUILD_TESTS=ON -DKINSPECT_BUILD_BENCH=OFF \
  ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher -DCMAKE_C_COMPILER_LAUNCHER=$launcher} >/dev/null
start=$(date +%s)
cmake --build "$out" -j"$(nproc)" --target daemon_tests kinspect kube_apiserver knowledge \
  fixture_swap_v1 fixture_swap_v2 fixture_swap_init_fails | tail -n 3
echo "sanitized build: $(( $(date +%s) - start )) s"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$src/scripts/lsan.supp:print_suppressions=0
exec "$out/tests/daemon/daemon_tests" \
  --gtest_filter='Serve.ReplacesAPluginUnderLoad*:Serve.PicksUpANewCheckFile*:Serve.SigtermExits*'
