#!/bin/sh
# Builds the libFuzzer target (build-fuzz/, clang, ASan + UBSan) and fuzzes
# feed_parse() for SECONDS (default 60). New corpus units go to a scratch
# directory under build-fuzz/, never into fuzz/corpus/. Exits non-zero on a
# crash, leak or timeout and prints the reproducer's path.
#   fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-60}
BUILD=build-fuzz
JOBS=$(nproc 2>/dev/null || echo 2)

case $SECONDS_TO_RUN in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS]" >&2
    exit 2
    ;;
esac

# clang and its libFuzzer runtime (gcc has none).
if ! command -v clang >/dev/null 2>&1 ||
    ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "== installing clang and libclang-rt-14-dev"
    apt-get install -y -q clang libclang-rt-14-dev
fi

echo "== building $BUILD/fuzz/fuzz_parse"
CC=clang cmake -S . -B "$BUILD" -DHERALD_FUZZ=ON -DHERALD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target fuzz_parse

WORK="$BUILD/corpus-work"
ARTIFACTS="$BUILD/artifacts/"
mkdir -p "$WORK" "$ARTIFACTS"
LOG="$BUILD/fuzz-$(date +%Y%m%d-%H%M%S).log"

echo "== fuzzing feed_parse for ${SECONDS_TO_RUN}s (log: $LOG)"
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$BUILD/fuzz/fuzz_parse" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -dict=fuzz/feed.dict -artifact_prefix="$ARTIFACTS" -print_final_stats=1 \
    "$WORK" fuzz/corpus >"$LOG" 2>&1 || status=$?
# The last progress line (executions, coverage), the final stats and any report.
grep -E '^#[0-9]+' "$LOG" | tail -n 1 || true
grep -E '^(stat::|SUMMARY|==[0-9]+==ERROR|.*runtime error:)' "$LOG" || true

if [ "$status" -ne 0 ]; then
    crash=$(sed -n 's/^.*Test unit written to \(.*\)$/\1/p' "$LOG" | tail -n 1)
    echo "== FUZZ FAILURE (exit $status): reproducer ${crash:-not written, see $LOG}" >&2
    echo "   reproduce: $BUILD/fuzz/fuzz_parse ${crash:-CRASH_FILE}" >&2
    echo "   minimize:  $BUILD/fuzz/fuzz_parse -minimize_crash=1 -runs=100000 ${crash:-CRASH_FILE}" >&2
    exit 1
fi
echo "== fuzz run clean"
