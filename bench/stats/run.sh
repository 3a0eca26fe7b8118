#!/usr/bin/env bash
# Statistics benchmark: the latency of GET /dvc/v1/stats through nginx over a
# year of N dossiers' counters (default 500,000), for the province (all), its
# busiest agency and its busiest procedure.  See bench/stats/README.md.
#
# usage: bench/stats/run.sh     env: N=500000 NPROC=100 NAG=25 D=10s C=1 CT=8
#        PIN=0 RUN=/tmp/dvcbench-stats PORT_BASE=23000 PROFILE=0
#        C: connections of the latency runs (1: one request at a time);
#        CT: connections of the throughput runs; PIN=1: nginx on core 1,
#        Redis and wrk on core 0
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=${N:-500000} NPROC=${NPROC:-100} NAG=${NAG:-25} D=${D:-10s} C=${C:-1} CT=${CT:-8}
PIN=${PIN:-0} PORT_BASE=${PORT_BASE:-23000}
RUN=${RUN:-/tmp/dvcbench-stats}
NAME=stats
source "$HERE/../lib.sh"                # bench_begin, pin, load, ticks, machine_lines
source "$HERE/../gateway.sh"            # gateway_start/stop, wait_port, stop_pidfile
MODULE=$ROOT/build/ngx_http_dvc_module.so
SEEDER=$ROOT/build/bench/seed_stats
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] && [ -x "$SEEDER" ] \
    || { echo "stats: run 'make bench-stats' (it builds what it needs)" >&2; exit 2; }
bench_begin "$NAME" nginx redis-server redis-cli wrk curl python3

gateway_traps

{
    machine_lines
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "N=$N NPROC=$NPROC NAG=$NAG D=$D C=$C CT=$CT PIN=$PIN"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"

# ------------------------------------------------------------------ start
gateway_start

# ------------------------------------------------------------------ seed
# the counters of N dossiers, by core's own rules (seed_stats.c), written with
# redis-cli --pipe: what the gateway's HINCRBYs would have left after a year
t0=$(date +%s.%N)
"$SEEDER" "$ROOT/calendar/vn-2025-2027.cal" "$N" "$NPROC" "$NAG" > "$RUN/seed.resp" 2> "$RES/totals.txt"
t1=$(date +%s.%N)
redis-cli -p "$REDIS_PORT" --pipe < "$RUN/seed.resp" > "$RES/pipe.txt"
t2=$(date +%s.%N)
grep -q 'errors: 0' "$RES/pipe.txt" || { say "seeding failed: $(cat "$RES/pipe.txt")" >&2; exit 1; }
keys=$(redis-cli -p "$REDIS_PORT" dbsize)
mem=$(redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')
fields=$(grep -c $'^\\$8\r$' "$RUN/seed.resp" || true)
say "$N dossiers: counters computed in $(echo "$t1 - $t0" | bc) s, loaded in $(echo "$t2 - $t1" | bc) s;" \
    "$keys keys, about $((fields / 2)) day fields, redis used_memory $mem" | tee -a "$RES/machine.txt"
cat "$RES/totals.txt"

total() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$RES/totals.txt"; }
AGENCY=$(total busiest_agency)
PROC=$(total busiest_procedure)

# ------------------------------------------------------------------ check
# the report through nginx must say what the seeder counted
figure() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
URL="http://127.0.0.1:$DVC_PORT/dvc/v1/stats?from=2025-01-01&to=2025-12-31"
check() {
    local q=$1 fig=$2 want=$3 got
    got=$(curl -sf "$URL$q" | figure "$fig")
    if [ "$got" != "$want" ]; then
        say "CHECK FAILED: $fig$q is $got, the seeder counted $want" >&2
        exit 1
    fi
    say "check: $fig${q:-} = $got"
}
check "" received_new "$(total received_2025)"
check "" resolved "$(total resolved_2025)"
check "&agency=$AGENCY" received_new "$(total busiest_agency_received)"
check "&procedure=$PROC" received_new "$(total busiest_procedure_received)"
curl -sf "$URL" > "$RES/report-all.json"
curl -sf -H 'Accept: text/csv' "$URL" > "$RES/report-all.csv"

# ------------------------------------------------------------------ measure
cat > "$RUN/get.lua" << 'LUA'
done = function(summary, latency, requests)
    io.write(string.format("RESULT requests=%d errors=%d non2xx=%d rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
        summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.timeout, summary.errors.status, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
LUA

HZ=$(getconf CLK_TCK)
NGX=$(pgrep -P "$(cat "$R/nginx.pid")")
RPID=$(cat "$RUN/redis/redis.pid")
per_req() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { printf "%.0f", t / hz * 1e6 / (n ? n : 1) }'; }

printf '%-10s %-5s %-60s %s\n' cell conns query result | tee "$RES/results.txt"
PAIR_AGENCY=000.00.$(printf %02d $((1 + 10#${PROC#1.9} % NAG))).H22    # procedure j: agency j % NAG
for spec in "all|" "agency|&agency=$AGENCY" "procedure|&procedure=$PROC" \
            "pair|&agency=$PAIR_AGENCY&procedure=$PROC"; do
    cell=${spec%%|*} q=${spec#*|}
    for c in "$C" "$CT"; do
        load wrk -t1 -c"$c" -d2s "$URL$q" > /dev/null                  # warm-up
        n0=$(ticks "$NGX") r0=$(ticks "$RPID")
        line=$(load wrk -t1 -c"$c" -d"$D" --latency -s "$RUN/get.lua" "$URL$q" | grep '^RESULT' | cut -d' ' -f2-)
        n1=$(ticks "$NGX") r1=$(ticks "$RPID")
        n=$(sed 's/requests=\([0-9]*\).*/\1/' <<< "$line")
        line="$line nginx_cpu_us=$(per_req $((n1 - n0)) "$n") redis_cpu_us=$(per_req $((r1 - r0)) "$n")"
        printf '%-10s %-5s %-60s %s\n' "$cell" "$c" "from=2025-01-01&to=2025-12-31$q" "$line" \
            | tee -a "$RES/results.txt"
    done
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RES/machine.txt"

# PROFILE=1: where the nginx worker spends a report (perf, 8 s of the all cell)
if [ "${PROFILE:-0}" = 1 ] && command -v perf > /dev/null; then
    load wrk -t1 -c1 -d12s "$URL" > /dev/null &
    sleep 2
    perf record -q -F 999 -g -o "$RES/perf.data" -p "$NGX" -- sleep 8 2> /dev/null
    wait
    perf report -q -i "$RES/perf.data" --no-children --sort symbol --stdio 2> /dev/null \
        | grep -E '^ +[0-9]' | head -25 | tee "$RES/profile.txt"
fi
say "results in $RES"
