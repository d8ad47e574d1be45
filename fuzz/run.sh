#!/bin/sh
# Builds the libFuzzer targets (build-fuzz/, clang, ASan + UBSan) and fuzzes
# one of them, or every one in turn, for SECONDS each. New corpus units go to
# a scratch directory under build-fuzz/, never into fuzz/corpus*/. Exits
# non-zero on a crash, leak or timeout (after running the remaining targets
# in `all` mode) and prints the reproducer's path.
#   fuzz/run.sh TARGET [SECONDS]   TARGET: parse, http, config, date, url, sanitize
#                                  (or fuzz_parse...); SECONDS default 60
#   fuzz/run.sh all [SECONDS]      every target, SECONDS each
#   fuzz/run.sh [SECONDS]          fuzz_parse (as before)
# FUZZ_JOBS=N builds with N jobs (default: every core); fuzzing uses one.
set -eu
cd "$(dirname "$0")/.."

TARGETS="fuzz_parse fuzz_http fuzz_config fuzz_date fuzz_url fuzz_sanitize"
BUILD=build-fuzz
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

usage() {
    echo "usage: fuzz/run.sh [TARGET|all] [SECONDS]   (TARGET: ${TARGETS})" >&2
    exit 2
}

case ${1:-} in
'' | *[!0-9]*) WHAT=${1:-fuzz_parse}; SECONDS_TO_RUN=${2:-60} ;;
*) WHAT=fuzz_parse; SECONDS_TO_RUN=$1; [ $# -le 1 ] || usage ;;
esac
case $SECONDS_TO_RUN in
'' | *[!0-9]*) usage ;;
esac
case $WHAT in
all) RUN=$TARGETS ;;
fuzz_*) RUN=$WHAT ;;
*) RUN=fuzz_$WHAT ;;
esac
for t in $RUN; do
    case " $TARGETS " in
    *" $t "*) ;;
    *) echo "fuzz/run.sh: unknown target '$t'" >&2; usage ;;
    esac
done

# clang and its libFuzzer runtime (gcc has none).
if ! command -v clang >/dev/null 2>&1 ||
    ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "== installing clang and libclang-rt-14-dev"
    apt-get install -y -q clang libclang-rt-14-dev
fi

echo "== building $(echo $RUN | sed "s|fuzz_|$BUILD/fuzz/fuzz_|g")"
CC=clang cmake -S . -B "$BUILD" -DHERALD_FUZZ=ON -DHERALD_TESTS=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$JOBS" --target $RUN

ARTIFACTS="$BUILD/artifacts/"
mkdir -p "$ARTIFACTS"
failed=""

# fuzz_parse is also seeded with the parity corpus (tests/parity/corpus: a
# file per format, field, date form, encoding and breakage), each file
# behind a selector byte 0 (no Content-Type), generated here rather than
# kept twice in the repository.
parity_seeds() {
    dir="$BUILD/seeds-parity"
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in tests/parity/corpus/*; do
        { printf '\000'; cat "$f"; } >"$dir/$(basename "$f")"
    done
    echo "$dir"
}

for t in $RUN; do
    # Per target: seeds, dictionary, input size limit, scratch corpus.
    case $t in
    fuzz_parse) SEEDS="fuzz/corpus $(parity_seeds)" DICT=fuzz/feed.dict MAXLEN=65536 WORK="$BUILD/corpus-work" ;;
    fuzz_http) SEEDS=fuzz/corpus-http DICT=fuzz/http.dict MAXLEN=16384 ;;
    fuzz_config) SEEDS=fuzz/corpus-config DICT=fuzz/config.dict MAXLEN=8192 ;;
    fuzz_date) SEEDS=fuzz/corpus-date DICT=fuzz/date.dict MAXLEN=256 ;;
    fuzz_url) SEEDS=fuzz/corpus-url DICT=fuzz/url.dict MAXLEN=4096 ;;
    fuzz_sanitize) SEEDS=fuzz/corpus-sanitize DICT=fuzz/sanitize.dict MAXLEN=16384 ;;
    esac
    [ "$t" = fuzz_parse ] || WORK="$BUILD/corpus-work-${t#fuzz_}"
    mkdir -p "$WORK"
    LOG="$BUILD/$t-$(date +%Y%m%d-%H%M%S).log"

    status=0
    # The reproducers of fixed findings first (fuzz/regressions/TARGET-*).
    set -- fuzz/regressions/"$t"-*
    if [ -e "$1" ]; then
        echo "== replaying $# regression input(s) of $t"
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
            "$BUILD/fuzz/$t" "$@" </dev/null >"$LOG" 2>&1 || status=$?
    fi
    if [ "$status" -ne 0 ]; then
        grep -E '^(SUMMARY|==[0-9]+==ERROR|.*runtime error:|fuzz_[a-z]+: |Running: )' "$LOG" || true
        echo "== REGRESSION in $t (log: $LOG)" >&2
        failed="$failed $t"
        continue
    fi

    echo "== fuzzing $t for ${SECONDS_TO_RUN}s (log: $LOG)"
    # stdin from /dev/null: fuzz_config may open paths named in its input
    # ("file:/dev/stdin"), read-only. $SEEDS may name two directories.
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$BUILD/fuzz/$t" -max_total_time="$SECONDS_TO_RUN" -max_len="$MAXLEN" -timeout=10 \
        -rss_limit_mb=2048 -dict="$DICT" -artifact_prefix="$ARTIFACTS$t-" -print_final_stats=1 \
        "$WORK" $SEEDS </dev/null >"$LOG" 2>&1 || status=$?
    # The last progress line (executions, coverage), the final stats and any report.
    grep -E '^#[0-9]+' "$LOG" | tail -n 1 || true
    grep -E '^(stat::|SUMMARY|==[0-9]+==ERROR|.*runtime error:|fuzz_[a-z]+: )' "$LOG" || true

    if [ "$status" -ne 0 ]; then
        crash=$(sed -n 's/^.*Test unit written to \(.*\)$/\1/p' "$LOG" | tail -n 1)
        echo "== FUZZ FAILURE in $t (exit $status): reproducer ${crash:-not written, see $LOG}" >&2
        echo "   reproduce: $BUILD/fuzz/$t ${crash:-CRASH_FILE}" >&2
        echo "   minimize:  $BUILD/fuzz/$t -minimize_crash=1 -runs=100000 ${crash:-CRASH_FILE}" >&2
        failed="$failed $t"
    fi
done

if [ -n "$failed" ]; then
    echo "== FUZZ FAILURE:$failed" >&2
    exit 1
fi
echo "== fuzz run clean"
