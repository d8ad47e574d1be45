#!/bin/bash
# bench/serve/run.sh: heraldd serving /feed.atom beside nginx serving the same
# bytes, and the re-render after an ingest, as a Markdown table.
#
#   bench/serve/run.sh [-r RUNS] [-n ENTRIES] [-d SECONDS] [-t THREADS] [-c CONNS]
#                      [-w NGINX_WORKERS] [-i ITERATIONS] [-o FILE] [-b BUILDDIR] [-p] [-R]
#
# Installs nginx and wrk with apt-get if missing; builds heraldd, fill_db and
# render_time (Release, HERALD_BENCH=ON) in BUILDDIR (default build-bench-serve/);
# fills a database of ENTRIES entries (default 1,000,000) over 1,000 feeds,
# cached in BUILDDIR/serve-data/ (fill_db: about 5 KB per entry); starts
# heraldd on 127.0.0.1:8091 and fetches /feed.atom plain and gzip; writes those
# exact bytes into an nginx docroot as feed.atom and feed.atom.gz and starts
# nginx on 127.0.0.1:8092 (NGINX_WORKERS worker processes, default 1, as
# heraldd has one loop; gzip_static, etag, sendfile, no access log). After
# checking every response with curl, each of RUNS runs (default 3) measures
# plain, gzip (Accept-Encoding: gzip) and 304 (If-None-Match: the server's
# own ETag) with wrk -tTHREADS -cCONNS -dSECONDS (2, 64, 10) on both servers,
# Herald first in odd runs and nginx first in even ones. Then the servers
# stop and render_time times ITERATIONS (default 50) re-renders after an
# ingest of one entry. Medians with the min-max spread over the runs; the
# ratio Herald/nginx is taken within each run, then its median. Raw output
# goes to BUILDDIR/serve-logs/. -p also profiles heraldd (perf record -g)
# under wrk for each case whose ratio misses the target, and render_time
# when the render misses it. -R only reports on the logs already there.
# With -o the table is also written to FILE (e.g. bench/serve/results.md).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$REPO/build-bench-serve
RUNS=3
ENTRIES=1000000
FEEDS=1000
CONTENT=3300
SEED=1
DURATION=10
THREADS=2
CONNS=64
WORKERS=1
ITER=50
OUT=
PROFILE=
REPORT_ONLY=
HPORT=8091
NPORT=8092
TARGET_RATIO=0.5
TARGET_RENDER_MS=20
CASES=(plain gzip 304)

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while getopts "r:n:d:t:c:w:i:o:b:pRh" opt; do
    case $opt in
    r) RUNS=$OPTARG ;;
    n) ENTRIES=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    t) THREADS=$OPTARG ;;
    c) CONNS=$OPTARG ;;
    w) WORKERS=$OPTARG ;;
    i) ITER=$OPTARG ;;
    o) OUT=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    p) PROFILE=1 ;;
    R) REPORT_ONLY=1 ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage
for v in "$RUNS" "$ENTRIES" "$DURATION" "$THREADS" "$CONNS" "$ITER"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[[ $WORKERS =~ ^([1-9][0-9]*|auto)$ ]] || usage

LOGS=$BUILD/serve-logs
DATA=$BUILD/serve-data/n$ENTRIES-f$FEEDS-c$CONTENT-s$SEED
NGX=$BUILD/serve-nginx
HERALD_URL=http://127.0.0.1:$HPORT/feed.atom
NGINX_URL=http://127.0.0.1:$NPORT/feed.atom

say() { echo "== $*" >&2; }
die() {
    echo "run.sh: $*" >&2
    exit 1
}

# ---- the servers, stopped on every exit ---------------------------------------
HPID=
stop_servers() {
    if [[ -n $HPID ]] && kill -0 "$HPID" 2>/dev/null; then
        kill -TERM "$HPID" 2>/dev/null || true
        wait "$HPID" 2>/dev/null || true
    fi
    HPID=
    if [[ -f $NGX/nginx.pid ]]; then
        kill -QUIT "$(cat "$NGX/nginx.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [[ -f $NGX/nginx.pid ]] || break; sleep 0.1; done
    fi
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

# ---- machine ----------------------------------------------------------------------
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
        REV "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        DIRTY "$(git -C "$REPO" status --porcelain -- daemon 2>/dev/null | wc -l)" \
        SRC_SHA "$sum" \
        CC_VERSION "$("$cc" --version | awk 'NR == 1')" \
        NGINX_VERSION "$(nginx -v 2>&1 | sed 's/^nginx version: //')" \
        WRK_VERSION "$(wrk -v 2>&1 | awk 'NR == 1 {print $1, $2}')" \
        STARTED "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        SETTINGS "wrk -t$THREADS -c$CONNS -d${DURATION}s, nginx worker_processes $WORKERS, $RUNS run(s)"
}

need_tools() {
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx-light)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    if [[ -n $PROFILE ]] && ! command -v perf >/dev/null; then missing+=(linux-perf); fi
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    nginx -V 2>&1 | grep -q with-http_gzip_static_module ||
        die "this nginx lacks gzip_static (install nginx-light or nginx)"
}

# Seconds of CPU (user + system) the processes PIDS (one word) have used so far.
cpu_s() {
    local p files=()
    for p in $1; do files+=("/proc/$p/stat"); done
    cat "${files[@]}" 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { print s / hz }'
}

# ---- start ------------------------------------------------------------------------------
start_herald() {
    "$BUILD/heraldd" run -c "$DATA/heraldd.conf" >"$LOGS/heraldd.log" 2>&1 &
    HPID=$!
    for _ in $(seq 300); do
        curl -sf -o /dev/null "http://127.0.0.1:$HPORT/healthz" && return 0
        kill -0 "$HPID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$LOGS/heraldd.log" >&2
    die "heraldd did not start"
}

start_nginx() {
    mkdir -p "$NGX/docroot" "$NGX/tmp" "$NGX/logs"
    cat >"$NGX/nginx.conf" <<EOF
# Generated by bench/serve/run.sh.
worker_processes $WORKERS;
user root;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    types { application/atom+xml atom; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$NPORT;
        root $NGX/docroot;
        etag on;
        gzip_static on;
        gzip_vary on;
    }
}
EOF
    nginx -p "$NGX" -c "$NGX/nginx.conf" -t -q
    nginx -p "$NGX" -c "$NGX/nginx.conf"
    for _ in $(seq 50); do
        curl -sf -o /dev/null "$NGINX_URL" && return 0
        sleep 0.1
    done
    die "nginx did not start"
}

# The value of header NAME in the response headers file F.
header() { awk -v n="$2" -F': ' 'tolower($1) == tolower(n) { sub(/\r$/, "", $2); print $2 }' "$1"; }
status() { awk 'NR == 1 { print $2 }' "$1"; }

# Fails unless URL answers as expected: check URL CASE ETAG
check() {
    local url=$1 case=$2 etag=$3 h=$LOGS/check.h b=$LOGS/check.b
    rm -f "$h" "$b"
    case $case in
    plain)
        curl -s -D "$h" -o "$b" "$url"
        [[ $(status "$h") == 200 && -z $(header "$h" Content-Encoding) ]] || die "$url plain: $(status "$h")"
        [[ $(header "$h" Content-Length) == $(stat -c %s "$NGX/docroot/feed.atom") ]] || die "$url plain: wrong Content-Length"
        cmp -s "$b" "$NGX/docroot/feed.atom" || die "$url plain: other bytes"
        ;;
    gzip)
        curl -s -D "$h" -o "$b" -H 'Accept-Encoding: gzip' "$url"
        [[ $(status "$h") == 200 && $(header "$h" Content-Encoding) == gzip ]] || die "$url gzip: not gzip"
        [[ $(header "$h" Content-Length) == $(stat -c %s "$NGX/docroot/feed.atom.gz") ]] || die "$url gzip: wrong Content-Length"
        cmp -s "$b" "$NGX/docroot/feed.atom.gz" || die "$url gzip: other bytes"
        ;;
    304)
        curl -s -D "$h" -o "$b" -H "If-None-Match: $etag" "$url"
        [[ $(status "$h") == 304 && ! -s $b ]] || die "$url 304: got $(status "$h")"
        ;;
    esac
}

# wrk against one server for one case; appends a WRK line to the run's log.
# bench RUN CASE SERVER URL ETAG PID
bench() {
    local run=$1 case=$2 server=$3 url=$4 etag=$5 pid=$6 out c0 c1 args=()
    case $case in
    gzip) args=(-H 'Accept-Encoding: gzip') ;;
    304) args=(-H "If-None-Match: $etag") ;;
    esac
    c0=$(cpu_s "$pid")
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "${args[@]}" "$url")
    c1=$(cpu_s "$pid")
    echo "$out" >"$LOGS/wrk-$run-$case-$server.txt"
    echo "$out" | awk -v run="$run" -v cs="$case" -v server="$server" -v cpu="$c0 $c1" -v d="$DURATION" '
        function bytes(s) {
            if (s ~ /GB$/) return s * 1073741824
            if (s ~ /MB$/) return s * 1048576
            if (s ~ /KB$/) return s * 1024
            return s + 0
        }
        function ms(s) {
            if (s ~ /us$/) return s / 1000
            if (s ~ /ms$/) return s + 0
            if (s ~ /s$/) return s * 1000
            return s + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        /^Transfer\/sec:/ { tps = bytes($2) }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
        END {
            split(cpu, c, " ")
            printf "WRK run=%s case=%s server=%s rps=%s bytes_per_resp=%.0f p50_ms=%.3f p99_ms=%.3f non2xx3xx=%d socket_errors=%d server_cpu_pct=%.0f\n",
                run, cs, server, rps, (rps > 0 ? tps / rps : 0), p50, p99, bad, errs, 100 * (c[2] - c[1]) / d
        }' | tee -a "$LOGS/run-$run.log" >&2
}

# Self time by library, then by symbol (top 20), of a perf.data file.
perf_summary() {
    { perf report -i "$1" --no-children -g none --sort dso --stdio 2>/dev/null |
        grep -v '^#' | grep '%' | head -8
    echo
    perf report -i "$1" --no-children -g none --sort dso,symbol --stdio 2>/dev/null |
        grep -v '^#' | grep '%' | head -20; } || true
}

nginx_workers() { pgrep -P "$(cat "$NGX/nginx.pid")" | tr '\n' ' '; }

# ---- reading the logs ----------------------------------------------------------------
LOGFILES=()
load_logs() { mapfile -t LOGFILES < <(ls "$LOGS"/run-*.log 2>/dev/null || true); }
# KEY of WRK lines of CASE and SERVER, one per run.
val() {
    cat "${LOGFILES[@]}" | awk -v c="$1" -v s="$2" -v key="$3" '
        $1 == "WRK" {
            delete kv
            for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
            if (kv["case"] == c && kv["server"] == s) print kv[key]
        }'
}
# Herald / nginx req/s within each run.
ratios() {
    cat "${LOGFILES[@]}" | awk -v c="$1" '
        $1 == "WRK" {
            delete kv
            for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
            if (kv["case"] == c) r[kv["run"], kv["server"]] = kv["rps"]
        }
        END { for (k in r) { split(k, q, SUBSEP); if (q[2] == "herald" && r[q[1], "nginx"] > 0) printf "%.4f\n", r[k] / r[q[1], "nginx"] } }'
}
stats() {
    sort -g | awk '{ a[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            print m, a[1], a[NR]
        }'
}
cell() {
    local fmt=$1 med lo hi
    read -r med lo hi < <(stats)
    if [[ $med == - ]]; then echo "– | –"; else
        # shellcheck disable=SC2059 # the format is the caller's
        printf "$fmt | $fmt–$fmt\n" "$med" "$lo" "$hi"
    fi
}
median() { stats | cut -d' ' -f1; }
rkv() { awk -v tag="$1" -v key="$2" '$1 == tag { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == key) print p[2] } }' "$LOGS/render.log"; }
part() { awk -v n="$1" -v key="$2" '$1 == "PART" && $2 == "name=" n { for (i = 3; i <= NF; i++) { split($i, p, "="); if (p[1] == key) print p[2] } }' "$LOGS/render.log"; }
met_ge() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v >= t) ? "yes" : "**NO**" }'; }
met_le() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v <= t) ? "yes" : "**NO**" }'; }
sizes() { awk -v key="$1" '$1 == "SIZES" { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == key) print p[2] } }' "$LOGS/serve.log"; }
fillv() { awk -v key="$1" '$1 == "FILL" { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == key) print p[2] } }' "$LOGS/fill.log"; }

if [[ -z $REPORT_ONLY ]]; then
    need_tools
    say "building $BUILD (Release, HERALD_BENCH=ON)"
    cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHERALD_TESTS=OFF -DHERALD_BENCH=ON \
        >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target heraldd fill_db render_time >/dev/null
    mkdir -p "$LOGS"
    rm -f "$LOGS"/*.log "$LOGS"/*.txt "$LOGS"/env "$LOGS"/check.*
    for p in $HPORT $NPORT; do
        ! ss -Hltn "sport = :$p" | grep -q . || die "port $p is in use"
    done
    machine >"$LOGS/env"

    # ---- the database (cached: render_time adds ITER + 5 entries per run) -----
    FILL=$BUILD/bench/serve/fill_db
    if [[ ! -f $DATA/filled ]]; then
        rm -rf "$DATA"
        mkdir -p "$DATA"
        say "filling $DATA ($ENTRIES entries; about $((ENTRIES * 5 / 1000)) MB)"
        "$FILL" -c "$DATA/heraldd.conf" -D "$DATA/herald.db" -n "$ENTRIES" -f "$FEEDS" \
            -C "$CONTENT" -s "$SEED" -p "$HPORT" | tee "$DATA/fill.log" >&2
        touch "$DATA/filled"
    else
        say "reusing $DATA"
        "$FILL" -x -c "$DATA/heraldd.conf" -D "$DATA/herald.db" -f "$FEEDS" -p "$HPORT"
    fi
    cp "$DATA/fill.log" "$LOGS/fill.log"
    # Read the database once so that no run pays for a cold page cache.
    cat "$DATA/herald.db" >/dev/null

    # ---- heraldd, then nginx with the bytes heraldd served ------------------------
    say "starting heraldd on 127.0.0.1:$HPORT"
    start_herald
    t0=$(date +%s%N)
    curl -sf -o /dev/null "$HERALD_URL"
    echo "FIRST_REQUEST ms=$((($(date +%s%N) - t0) / 1000000))" >>"$LOGS/serve.log"
    mkdir -p "$NGX/docroot"
    rm -f "$NGX/docroot"/*
    curl -sf -D "$LOGS/herald-plain.h" -o "$NGX/docroot/feed.atom" "$HERALD_URL"
    curl -sf -D "$LOGS/herald-gzip.h" -H 'Accept-Encoding: gzip' -o "$NGX/docroot/feed.atom.gz" "$HERALD_URL"
    gzip -dc "$NGX/docroot/feed.atom.gz" | cmp -s - "$NGX/docroot/feed.atom" ||
        die "heraldd's gzip variant is not its plain one"
    # Both files get the same mtime (nginx's ETag is mtime-size).
    touch -r "$NGX/docroot/feed.atom" "$NGX/docroot/feed.atom.gz"
    HETAG=$(header "$LOGS/herald-plain.h" ETag)
    say "starting nginx on 127.0.0.1:$NPORT (worker_processes $WORKERS)"
    start_nginx
    curl -sf -D "$LOGS/nginx-plain.h" -o /dev/null "$NGINX_URL"
    NETAG=$(header "$LOGS/nginx-plain.h" ETag)
    for c in "${CASES[@]}"; do
        check "$HERALD_URL" "$c" "$HETAG"
        check "$NGINX_URL" "$c" "$NETAG"
    done
    echo "SIZES plain=$(stat -c %s "$NGX/docroot/feed.atom") gzip=$(stat -c %s "$NGX/docroot/feed.atom.gz") herald_etag=$HETAG nginx_etag=$NETAG" >>"$LOGS/serve.log"
    say "responses checked: $(tail -1 "$LOGS/serve.log")"
    NWPID=$(nginx_workers)

    # ---- the runs ------------------------------------------------------------------
    for ((i = 1; i <= RUNS; i++)); do
        if ((i % 2)); then order=(herald nginx); else order=(nginx herald); fi
        say "run $i/$RUNS: ${order[*]} (load $(cut -d' ' -f1 /proc/loadavg))"
        for c in "${CASES[@]}"; do
            for s in "${order[@]}"; do
                if [[ $s == herald ]]; then
                    bench "$i" "$c" herald "$HERALD_URL" "$HETAG" "$HPID"
                else
                    bench "$i" "$c" nginx "$NGINX_URL" "$NETAG" "$NWPID"
                fi
                sleep 1
            done
        done
    done
    for c in "${CASES[@]}"; do # still the same answers after the load
        check "$HERALD_URL" "$c" "$HETAG"
        check "$NGINX_URL" "$c" "$NETAG"
    done

    # ---- profiles of the cases that miss the target --------------------------------
    if [[ -n $PROFILE ]]; then
        load_logs
        for c in "${CASES[@]}"; do
            ratio=$(ratios "$c" | median)
            if awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(r < t) }'; then
                say "profiling heraldd under wrk, case $c (ratio $ratio)"
                args=()
                [[ $c == gzip ]] && args=(-H 'Accept-Encoding: gzip')
                [[ $c == 304 ]] && args=(-H "If-None-Match: $HETAG")
                perf record -g -o "$LOGS/perf-$c.data" -p "$HPID" -- sleep "$DURATION" 2>/dev/null &
                ppid=$!
                wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "${args[@]}" "$HERALD_URL" >/dev/null
                wait "$ppid" || true
                perf_summary "$LOGS/perf-$c.data" >"$LOGS/perf-$c.txt"
            fi
        done
    fi
    stop_servers

    # ---- the re-render after an ingest --------------------------------------------------
    say "render_time: $ITER re-renders after an ingest"
    "$BUILD/bench/serve/render_time" -c "$DATA/heraldd.conf" -i "$ITER" -C "$CONTENT" -s "$SEED" \
        >"$LOGS/render.log"
    grep -v '^ITER' "$LOGS/render.log" >&2
    if [[ -n $PROFILE ]] && awk -v m="$(awk '$1 == "RENDER" { for (i = 2; i <= NF; i++) if ($i ~ /^median_ms=/) print substr($i, 11) }' "$LOGS/render.log")" \
        -v t="$TARGET_RENDER_MS" 'BEGIN { exit !(m > t) }'; then
        say "profiling render_time"
        perf record -g -o "$LOGS/perf-render.data" -- \
            "$BUILD/bench/serve/render_time" -c "$DATA/heraldd.conf" -i 20 -w 0 -C "$CONTENT" -s "$SEED" >/dev/null 2>&1 || true
        perf_summary "$LOGS/perf-render.data" >"$LOGS/perf-render.txt"
    fi
    echo "LOAD_END $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOGS/serve.log"
fi

# ---- the report -------------------------------------------------------------------------
[[ -f $LOGS/env ]] || die "no runs in $LOGS"
# shellcheck source=/dev/null # LOAD_START, CPU... come from env
source "$LOGS/env"
LOAD_END=$(awk '$1 == "LOAD_END" { print $2, $3, $4 }' "$LOGS/serve.log")
load_logs
((${#LOGFILES[@]} > 0)) || die "no run logs in $LOGS"
NRUNS=${#LOGFILES[@]}

case_label() {
    case $1 in
    plain) echo "plain (identity, $(($(sizes plain) / 1000)) KB)" ;;
    gzip) echo "gzip (Accept-Encoding: gzip, $(($(sizes gzip) / 1000)) KB; nginx gzip_static)" ;;
    304) echo "304 (If-None-Match: own ETag)" ;;
    esac
}

report() {
    echo "# bench/serve results"
    echo
    echo "heraldd serving \`/feed.atom\` of a database of $(fillv entries) entries over" \
        "$(fillv feeds) feeds (fill_db: $(fillv polls) polls over $(fillv days) days, ~$(fillv content)" \
        "bytes of HTML content per entry, database $(fillv db_mb) MB; ingest at level story joined" \
        "$(fillv merged) of them to an earlier story: generated text of one Zipf vocabulary looks alike)," \
        "\`max_entries = 100\`, dedup story:" \
        "the document is $(sizes plain) bytes, $(sizes gzip) gzipped. nginx $NGINX_VERSION serves the same" \
        "bytes as static files (feed.atom, feed.atom.gz) from the same run, worker_processes as below," \
        "\`gzip_static on\`, \`etag on\`, \`sendfile on\`, \`access_log off\`, \`keepalive_requests 1000000\`." \
        "Load: $WRK_VERSION, $SETTINGS, on 127.0.0.1, client and servers sharing the machine's cores;" \
        "Herald first in odd runs, nginx first in even ones. Median of $NRUNS run(s), min–max beside it" \
        "(the machine's noise); ratios are taken within each run, then their median."
    echo
    echo "Machine: $NPROC × $CPU, $MEM_GB GB RAM, Linux $KERNEL. Load average at start $LOAD_START," \
        "at the end $LOAD_END. Started $STARTED."
    echo "Tree: $REV with $DIRTY modified or new files under daemon/ (sources sha256 $SRC_SHA);" \
        "Release build, $CC_VERSION."
    echo
    echo "## Serving (requests/s)"
    echo
    echo "| case | Herald | min–max | nginx | min–max | Herald / nginx | min–max | target | met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for c in "${CASES[@]}"; do
        echo "| $(case_label "$c") | $(val "$c" herald rps | cell %.0f) | $(val "$c" nginx rps | cell %.0f) |" \
            "$(ratios "$c" | cell %.2f) | ≥ $TARGET_RATIO | $(met_ge "$(ratios "$c" | median)" "$TARGET_RATIO") |"
    done
    echo
    echo "| case | server | latency p50 ms | p99 ms | bytes / response | server CPU % | non-2xx/3xx | socket errors |"
    echo "|---|---|---|---|---|---|---|---|"
    for c in "${CASES[@]}"; do
        for s in herald nginx; do
            echo "| $c | $s | $(val "$c" $s p50_ms | median) | $(val "$c" $s p99_ms | median) |" \
                "$(val "$c" $s bytes_per_resp | median | xargs printf %.0f) | $(val "$c" $s server_cpu_pct | median | xargs printf %.0f) |" \
                "$(val "$c" $s non2xx3xx | stats | awk '{print $3}') | $(val "$c" $s socket_errors | stats | awk '{print $3}') |"
        done
    done
    echo
    echo "Medians over the runs (non-2xx/3xx and socket errors: the largest). bytes / response:" \
        "wrk's Transfer/sec over Requests/sec (headers included), a check that each case got the" \
        "intended representation. Server CPU %: user + system time of heraldd (one process) or of" \
        "the nginx worker(s) during the wrk run, over its duration (100% = one core)." \
        "Every response was checked with curl before and after the runs (status, Content-Length," \
        "Content-Encoding, the bytes; 304 with an empty body)."
    echo
    echo "## Re-render after an ingest"
    echo
    echo "render_time on the same database ($(rkv FIRST entries) entries at the start):" \
        "$(rkv RENDER iterations) times, one poll carrying one new entry is stored (store_ingest)," \
        "publish_invalidate() is called, and the /feed.atom route handler (publish_routes) is timed:" \
        "it renders the output again: the entries (store_merged), then the format asked for (Atom) and its SHA-256; other formats are rendered when first asked for, and the gzip variant (level 1) by the first request that accepts gzip. The parts below decompose the work of all three formats, with gzip -6 as a worst case."
    echo "The first render after opening took $(rkv FIRST first_render_ms) ms; heraldd's first" \
        "/feed.atom request after start-up (curl; heraldd may have rendered the output at start-up already) took $(awk '$1 == "FIRST_REQUEST" { sub(/ms=/, "", $2); print $2 }' "$LOGS/serve.log") ms."
    echo
    echo "| measure | median ms | p90 ms | min–max ms | target | met |"
    echo "|---|---|---|---|---|---|"
    echo "| re-render (handler call) | $(rkv RENDER median_ms) | $(rkv RENDER p90_ms) |" \
        "$(rkv RENDER min_ms)–$(rkv RENDER max_ms) | < $TARGET_RENDER_MS | $(met_le "$(rkv RENDER median_ms)" "$TARGET_RENDER_MS") |"
    echo "| store_ingest of the one-entry poll (not in the render) | $(rkv INGEST median_ms) | $(rkv INGEST p90_ms) | $(rkv INGEST min_ms)–$(rkv INGEST max_ms) | | |"
    for p in store_merged atom_render rss_render jsonfeed_render sha256_gzip; do
        echo "| &nbsp;&nbsp;part: $p | $(part $p median_ms) | $(part $p p90_ms) | $(part $p min_ms)–$(part $p max_ms) | | |"
    done
    echo
    echo "Parts: the same pieces timed one by one after each handler call, built as publish.c builds" \
        "them (sha256_gzip: the SHA-256 and gzip -6 of the three documents: Atom $(rkv SIZES atom) →" \
        "$(rkv SIZES atom_gz) bytes, RSS $(rkv SIZES rss) → $(rkv SIZES rss_gz), JSON $(rkv SIZES json) →" \
        "$(rkv SIZES json_gz))."
    local f
    for f in "$LOGS"/perf-*.txt; do
        [[ -f $f ]] || continue
        echo
        echo "## Profile: $(basename "$f" .txt | sed 's/^perf-//') (perf record -g, self time, top entries)"
        echo
        if [[ $f == */perf-render.txt ]]; then
            echo "The whole render_time process, 20 iterations: each handler render and the breakdown's" \
                "second render (so both count), and its start-up (opening, the first ingest loading the" \
                "story index: add_term, scan, msort). libz has no symbols here: it is deflate."
        else
            echo "heraldd under the same wrk load for $DURATION s."
        fi
        echo
        echo '```'
        cat "$f"
        echo '```'
    done
}

if [[ -n $OUT ]]; then
    report | tee "$OUT"
else
    report
fi
