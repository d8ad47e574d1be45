#!/bin/bash
# bench/dedup/run.sh: what deduplication costs at ingest (level story against
# none) and how the story lookup scales, as a Markdown table.
#
#   bench/dedup/run.sh [-r RUNS] [-n ENTRIES] [-o FILE] [-b BUILDDIR] [-R] [-- bench_dedup args]
#
# Builds bench_dedup (Release, HERALD_BENCH=ON) in build-bench-dedup/, runs it
# RUNS times (default 3) on ENTRIES generated entries (default 1,000,000), and
# prints medians with the min-max spread over the runs (the machine's noise).
# Runs alternate the order of the two levels (none first, then story first)
# so that neither always gets the warmer page cache. Ratios are taken within
# each run, then their median. Each run's raw output is kept in
# BUILDDIR/dedup-logs/. With -o the table is also written to FILE (e.g.
# bench/dedup/results.md). -R only reports on the logs already there (of
# runs that were stopped early, say). Arguments after -- go to bench_dedup
# (-V 50000, -K 4000, -t DIR...; see bench_dedup.c).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$REPO/build-bench-dedup
RUNS=3
ENTRIES=1000000
OUT=
REPORT_ONLY=
TARGET_RATIO=1.30
TARGET_GROWTH=2.0

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while getopts "r:n:o:b:Rh" opt; do
    case $opt in
    r) RUNS=$OPTARG ;;
    n) ENTRIES=$OPTARG ;;
    o) OUT=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    R) REPORT_ONLY=1 ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[[ $RUNS =~ ^[1-9][0-9]*$ && $ENTRIES =~ ^[1-9][0-9]*$ ]] || usage
EXTRA=("$@")
LOGS=$BUILD/dedup-logs

say() { echo "== $*" >&2; }

# ---- machine and tree, before anything loads the machine ---------------------
# Kept in LOGS/env so that -R reports them as they were.
machine() {
    local sum cc
    sum=$(cd "$REPO" && find daemon -name '*.[ch]' | sort | xargs cat | sha256sum | cut -c1-12)
    cc=$(awk -F= '/^CMAKE_C_COMPILER:/ {print $2}' "$BUILD/CMakeCache.txt")
    printf '%s=%q\n' \
        LOAD_START "$(cut -d' ' -f1-3 /proc/loadavg)" \
        CPU "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
        NPROC "$(nproc)" \
        MEM_GB "$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)" \
        KERNEL "$(uname -r)" \
        TMPFS "$(df -h --output=source,fstype "${TMPDIR:-/tmp}" | tail -1 | tr -s ' ')" \
        REV "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        DIRTY "$(git -C "$REPO" status --porcelain -- daemon 2>/dev/null | wc -l)" \
        SRC_SHA "$sum" \
        CC_VERSION "$("$cc" --version | awk 'NR == 1')" \
        STARTED "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        RUN_ARGS "$(echo -n "-n $ENTRIES" "${EXTRA[@]}")"
}

if [[ -z $REPORT_ONLY ]]; then
    say "building $BUILD (Release, HERALD_BENCH=ON)"
    cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHERALD_TESTS=OFF -DHERALD_BENCH=ON \
        >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target bench_dedup >/dev/null
    BIN=$BUILD/bench/dedup/bench_dedup
    mkdir -p "$LOGS"
    rm -f "$LOGS"/run-*.log "$LOGS"/env
    machine >"$LOGS/env"
    for ((i = 1; i <= RUNS; i++)); do
        if ((i % 2)); then order=none,story; else order=story,none; fi
        say "run $i/$RUNS: -n $ENTRIES -L $order ${EXTRA[*]:-} (load $(cut -d' ' -f1 /proc/loadavg))"
        "$BIN" -n "$ENTRIES" -L "$order" "${EXTRA[@]}" | tee "$LOGS/run-$i.log" >&2
    done
fi
[[ -f $LOGS/env ]] || { echo "run.sh: no runs in $LOGS" >&2; exit 1; }
# shellcheck source=/dev/null # LOAD_START, SRC_SHA... come from env
source "$LOGS/env"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
# Complete runs only: a stopped one has no final RSS line.
mapfile -t LOGFILES < <(grep -l '^RSS ' "$LOGS"/run-*.log 2>/dev/null || true)
RUNS=${#LOGFILES[@]}
((RUNS > 0)) || { echo "run.sh: no complete run in $LOGS" >&2; exit 1; }

# ---- reading the logs -----------------------------------------------------------

# The value of KEY on lines tagged TAG (and, with MK MV, whose MK is MV),
# one per run.
val() {
    local tag=$1 key=$2 mk=${3:-} mv=${4:-}
    for f in "${LOGFILES[@]}"; do
        awk -v tag="$tag" -v key="$key" -v mk="$mk" -v mv="$mv" '
            $1 == tag {
                delete kv
                for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
                if (mk == "" || kv[mk] == mv) print kv[key]
            }' "$f"
    done
}

# Median, min and max of numbers on stdin: "MED MIN MAX".
stats() {
    sort -g | awk '{ a[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            print m, a[1], a[NR]
        }'
}

# A table cell "median | min–max" with printf format FMT.
cell() {
    local fmt=$1 med lo hi
    read -r med lo hi < <(stats)
    if [[ $med == - ]]; then
        echo "– | –"
    else
        # shellcheck disable=SC2059 # the format is the caller's
        printf "$fmt | $fmt–$fmt\n" "$med" "$lo" "$hi"
    fi
}

median() { stats | cut -d' ' -f1; }
# The first line, reading all (head would make the writer fail under pipefail).
first() { awk 'NR == 1'; }

# Per run: the value of KEY at checkpoint A over its value at checkpoint B.
ratio_per_run() {
    local key=$1 a=$2 b=$3
    for f in "${LOGFILES[@]}"; do
        awk -v key="$key" -v a="$a" -v b="$b" '
            $1 == "LOOKUP" {
                delete kv
                for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
                if (kv["at"] == a) va = kv[key]
                if (kv["at"] == b) vb = kv[key]
            }
            END { if (va != "" && vb > 0) printf "%.4f\n", va / vb }' "$f"
    done
}

met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v <= t) ? "yes" : "**NO**" }'; }

human() {
    case $1 in
    10000) echo 10k ;; 100000) echo 100k ;; 1000000) echo 1M ;; *) echo "$1" ;;
    esac
}

gen() { val GEN "$1" | first; }
CHECKPOINTS=$(val LOOKUP at | sort -gu)
FIRST_CP=$(echo "$CHECKPOINTS" | first)
LAST_CP=$(echo "$CHECKPOINTS" | tail -1)
RATIO_MED=$(val RATIO story_over_none | median)
GROWTH_MED=$(ratio_per_run lookup_median_us "$LAST_CP" "$FIRST_CP" | median)

# shellcheck disable=SC2153 # SRC_SHA and the like come from LOGS/env
report() {
    echo "# bench/dedup results"
    echo
    echo "$(gen entries) generated entries over $(gen feeds) feeds in $(gen polls) polls spanning" \
        "$(gen days) days (the 72 h window holds $(gen window_pct)% of them), vocabulary" \
        "$(gen vocab) pseudo-words, seed $(gen seed); bench_dedup $RUN_ARGS." \
        "Median of $RUNS run(s), min–max in the next column (the machine's noise)."
    echo
    echo "Machine: $NPROC × $CPU, $MEM_GB GB RAM, Linux $KERNEL; database on $TMPFS." \
        "Load average at start $LOAD_START, at the report $LOAD_END. Started $STARTED."
    echo "Tree: $REV with $DIRTY modified or new files under daemon/ (sources sha256 $SRC_SHA);" \
        "Release build, $CC_VERSION."
    echo
    echo "## Ingest and lookup"
    echo
    echo "| measure | median | min–max | target | met |"
    echo "|---|---|---|---|---|"
    echo "| ingest, level none (entries/s) | $(val LEVEL entries_per_s level none | cell %.0f) | | |"
    echo "| ingest, level story (entries/s) | $(val LEVEL entries_per_s level story | cell %.0f) | | |"
    echo "| story / none ingest time (same run) | $(val RATIO story_over_none | cell %.3f) |" \
        "≤ $TARGET_RATIO | $(met "$RATIO_MED" "$TARGET_RATIO") |"
    for cp in $CHECKPOINTS; do
        echo "| story lookup at $(human "$cp") entries, median (µs) |" \
            "$(val LOOKUP lookup_median_us at "$cp" | cell %.1f) | | |"
        echo "| story lookup at $(human "$cp") entries, p90 (µs) |" \
            "$(val LOOKUP lookup_p90_us at "$cp" | cell %.1f) | | |"
    done
    if [[ $FIRST_CP != "$LAST_CP" ]]; then
        echo "| lookup median $(human "$LAST_CP") / $(human "$FIRST_CP") (same run) |" \
            "$(ratio_per_run lookup_median_us "$LAST_CP" "$FIRST_CP" | cell %.2f) |" \
            "≤ $TARGET_GROWTH | $(met "$GROWTH_MED" "$TARGET_GROWTH") |"
        echo "| lookup p90 $(human "$LAST_CP") / $(human "$FIRST_CP") (same run) |" \
            "$(ratio_per_run lookup_p90_us "$LAST_CP" "$FIRST_CP" | cell %.2f) | | |"
    fi
    echo
    echo "Ingest: entries/s = entries / time inside store_ingest() (one transaction per poll;" \
        "includes dedup_prepare(): canonical links at both levels, fingerprints at story)." \
        "Lookup: store_story_lookup() on prepared probes at the time of the last poll, K per" \
        "checkpoint, half paraphrases of stories of the last 6 h, half unrelated."
    echo
    echo "## At each checkpoint (level story)"
    echo
    echo "| stored | rows | in 2×window | lookup mean µs | fingerprint µs | paraphrases found | unrelated matched |"
    echo "|---|---|---|---|---|---|---|"
    for cp in $CHECKPOINTS; do
        per=$(val LOOKUP per_kind at "$cp" | first)
        echo "| $(human "$cp") | $(val LOOKUP rows at "$cp" | first) |" \
            "$(val LOOKUP horizon at "$cp" | first) |" \
            "$(val LOOKUP lookup_mean_us at "$cp" | median | xargs printf %.1f) |" \
            "$(val LOOKUP prepare_median_us at "$cp" | median | xargs printf %.1f) |" \
            "$(val LOOKUP dup_hits at "$cp" | median | xargs printf %.0f) / $per |" \
            "$(val LOOKUP other_hits at "$cp" | median | xargs printf %.0f) / $per |"
    done
    echo
    echo "rows: entries in the database; in 2×window: generated entries dated within 2 × 72 h" \
        "of the probe time (what the story index holds, at least: it is pruned once per window)." \
        "fingerprint: dedup_prepare_entry() of one probe, median."
    echo
    echo "## Generated duplicates"
    echo
    echo "| kind | entries | share |"
    echo "|---|---|---|"
    for k in unique link story churn; do
        echo "| $k | $(gen "$k") | $(gen "${k}_pct")% |"
    done
    echo
    echo "link: an earlier entry's link (last 24 h) in another feed, same text;" \
        "$(gen link_utm) with utm_ parameters added, $(gen link_http) with http:// for https://." \
        "story: another outlet's take on a story of the last 6 h, 30–40% of the title and lead words" \
        "replaced or moved, own link, published within hours. churn: a feed re-publishes one of" \
        "its last 16 entries under a new guid, same link. A duplicate without a source (early in the" \
        "run, or a feed's first poll for churn) is made unique."
    echo
    echo "## What ingest did (run 1)"
    echo
    echo "| level | added | merged | updated | churned | identity switches | database MB | wall s |"
    echo "|---|---|---|---|---|---|---|---|"
    for lv in none story; do
        echo "| $lv | $(val LEVEL added level $lv | first) | $(val LEVEL merged level $lv | first) |" \
            "$(val LEVEL updated level $lv | first) | $(val LEVEL churned level $lv | first) |" \
            "$(val LEVEL identity_switches level $lv | first) | $(val LEVEL db_mb level $lv | first) |" \
            "$(val LEVEL wall_s level $lv | first) |"
    done
    echo
    echo "merged: entries that joined another feed's story (by canonical link, or by fingerprint at" \
        "level story); the generator made $(($(gen link) + $(gen story))) link and story duplicates." \
        "Peak RSS of bench_dedup: $(val RSS peak_mb | median) MB."
}

if [[ -n $OUT ]]; then
    report | tee "$OUT"
else
    report
fi
