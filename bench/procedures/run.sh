#!/usr/bin/env bash
# Compiled procedures in nginx: for N generated procedures (gen.py), the time
# `nginx -t` takes, and each worker's memory once loaded (RSS, PSS, private
# dirty, from /proc/PID/smaps_rollup), beside what `dvc procedures` (parse the
# directory) and `dvc check-schemas` (compile each schema, one at a time) use
# on the same directory.  See bench/procedures/README.md.
#
# usage: bench/procedures/run.sh   env: NS="0 200 2000" ROUNDS=5 PIN=0
#        RUN=/tmp/dvcbench-procedures PORT_BASE=25000 BASE=
#        ROUNDS: every N is measured once per round (the Ns interleaved);
#        the summary gives medians over the rounds.  BASE: another build
#        directory (its ngx_http_dvc_module.so and dvc, e.g. an older
#        commit's build/) measured in the same rounds, cell after cell, and
#        compared
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NS=${NS:-0 200 2000} ROUNDS=${ROUNDS:-5} PIN=${PIN:-0} PORT_BASE=${PORT_BASE:-25000}
RUN=${RUN:-/tmp/dvcbench-procedures}
NAME=procedures
source "$HERE/../lib.sh"                # bench_begin, pin, other_load, machine_lines
source "$HERE/../gateway.sh"            # redis_start, wait_port, stop_pidfile, gateway_traps
BUILDS="new=$ROOT/build${BASE:+ base=$BASE}"
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

for b in $BUILDS; do
    [ -f "${b#*=}/ngx_http_dvc_module.so" ] && [ -x "${b#*=}/dvc" ] \
        || { echo "procedures: no module or dvc in ${b#*=} (make bench-procedures builds ours)" >&2; exit 2; }
done
bench_begin "$NAME" nginx redis-server python3 curl /usr/bin/time
gateway_traps

{
    machine_lines
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "builds: $BUILDS"
    echo "NS=$NS ROUNDS=$ROUNDS PIN=$PIN"
    echo "others' load before the run: $(other_load) % of one core"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"

# ------------------------------------------------------------------ inputs
for n in $NS; do
    python3 "$HERE/gen.py" "$n" "$RUN/procs/$n" "$ROOT/schemas"
    say "N=$n: $(find "$RUN/procs/$n" -maxdepth 1 -name '*.json' | wc -l) procedures," \
        "$(du -sk --apparent-size "$RUN/procs/$n" | cut -f1) KB of schema files (common/ included)"
done
redis_start
rm -f "$RUN/keys/k1.pem"
"$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1
R=$RUN/dvc
conf() {  # conf N MODULE: $R/nginx.conf loading $RUN/procs/N (N=0: no dvc_schemas)
    sed -e "s|@MODULE@|$2|; s|@RUN@|$R|g; s|@PORT@|$DVC_PORT|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@ROOT@|$ROOT|g; s|@KEY@|$RUN/keys/k1.pem|" \
        -e "s|@SCHEMAS_LINE@|$([ "$1" = 0 ] || echo "    dvc_schemas $RUN/procs/$1;")|" \
        "$HERE/nginx.conf.in" > "$R/nginx.conf"
}

# ------------------------------------------------------------------ measure
# smaps_rollup fields of a process, in KB: Rss Pss Private_Dirty Shared_Clean
# Shared_Dirty Private_Clean
mem() {
    awk '/^(Rss|Pss|Private_Dirty|Shared_Clean|Shared_Dirty|Private_Clean):/ { v[$1] = $2 }
         END { print v["Rss:"], v["Pss:"], v["Private_Dirty:"], v["Shared_Clean:"],
                     v["Shared_Dirty:"], v["Private_Clean:"] }' "/proc/$1/smaps_rollup"
}
# wall_ms CMD...: the milliseconds CMD takes
wall_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null 2>&1
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}
# cpu_wall_ms CMD...: "WALL CPU", the milliseconds CMD takes, of the clock and
# of its CPU (user + system: less moved by others' load on a shared machine)
cpu_wall_ms() {
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$RUN/times" "$@" > /dev/null 2>&1
    t1=$(date +%s%N)
    awk -v w=$(( (t1 - t0) / 1000000 )) '{ printf "%d %.0f", w, ($1 + $2) * 1000 }' "$RUN/times"
}
# maxrss_kb CMD...: peak RSS of CMD in KB (GNU time; its output discarded)
maxrss_kb() {
    /usr/bin/time -f %M -o "$RUN/maxrss" "$@" > /dev/null 2>&1
    cat "$RUN/maxrss"
}

# one cell: N's nginx -t time, then nginx started, its workers' memory once
# they answer (one GET of the listing), stopped; the two CLI commands
cell_run() {
    local label=${1%%=*} dir=${1#*=} n=$2 t pid w line DVC
    DVC=$dir/dvc
    conf "$n" "$dir/ngx_http_dvc_module.so"
    : > "$R/error.log"
    t=$(cpu_wall_ms nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log" -t -q)
    nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log"
    wait_port "$DVC_PORT"
    pid=$(cat "$R/nginx.pid")
    curl -sf -o /dev/null "http://127.0.0.1:$DVC_PORT/dvc/v1/procedures"
    sleep 0.3
    line="$label $n $t $(mem "$pid")"
    for w in $(pgrep -P "$pid" | sort -n); do line="$line | $(mem "$w")"; done
    stop_pidfile "$R/nginx.pid"
    if [ "$n" = 0 ]; then   # dvc check-schemas refuses a folder without *.json
        echo "$line | - - - -"
        return
    fi
    echo "$line | $(wall_ms "$DVC" procedures "$RUN/procs/$n") $(maxrss_kb "$DVC" procedures "$RUN/procs/$n")" \
         "$(wall_ms "$DVC" check-schemas "$RUN/procs/$n") $(maxrss_kb "$DVC" check-schemas "$RUN/procs/$n")"
}

mkdir -p "$R"
say "$ROUNDS rounds, the Ns interleaved (order rotated each round)"
: > "$RES/raw.txt"
set -- $NS
for round in $(seq "$ROUNDS"); do
    for n in "$@"; do
        for b in $BUILDS; do
            echo "$round $(cell_run "$b" "$n")" | tee -a "$RES/raw.txt"
        done
    done
    BUILDS=$(echo "$BUILDS" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "") }')
    set -- "${@:2}" "$1"
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RES/machine.txt"

# ------------------------------------------------------------------ summary
python3 "$HERE/summary.py" "$RES/raw.txt" | tee "$RES/results.txt"
say "results in $RES"
