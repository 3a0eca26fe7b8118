#!/usr/bin/env bash
# Instructions per event (callgrind) of the nginx worker and of redis-server,
# for each module of MODULES, on the events of run.sh: steady where the shared
# machine's timings are not.  Both servers run under valgrind; the counters
# are zeroed after the dossiers are seeded and dumped after the events, so
# start-up and seeding are left out.  See bench/events/README.md.
#
# usage: bench/events/instructions.sh   env: N=300 C=4
#        MODULES="label=/path/to/ngx_http_dvc_module.so ..." (default: this
#        tree's build) RUN=/tmp/dvcbench-events-ir PORT_BASE=25200
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=${N:-300} C=${C:-4} PORT_BASE=${PORT_BASE:-25200} PIN=0
RUN=${RUN:-/tmp/dvcbench-events-ir}
MODULES=${MODULES:-this=$ROOT/build/ngx_http_dvc_module.so}
NAME=events-ir
source "$HERE/../lib.sh"                # bench_begin
source "$HERE/../gateway.sh"            # nginx_conf, wait_port
LOADGEN=$ROOT/build/bench/event_load
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

[ -x "$ROOT/build/dvc" ] && [ -x "$LOADGEN" ] \
    || { echo "events-ir: run 'make bench-events' first" >&2; exit 2; }
bench_begin "$NAME" valgrind callgrind_control nginx redis-server redis-cli curl python3

VG_REDIS= VG_NGINX=
stop_all() {
    local p
    for p in $VG_NGINX $VG_REDIS; do
        kill "$p" 2> /dev/null || true
        for _ in $(seq 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    done
    VG_REDIS= VG_NGINX=
}
trap stop_all EXIT

rm -f "$RUN/keys/k1.pem"
"$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1
EVKEY=$RUN/keys/event.key
(umask 077 && openssl rand -hex 32 > "$EVKEY")
BODY=$ROOT/examples/dossiers/1.001612.json
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
# Ir between the zeroing and the dump (callgrind_control -d writes FILE.1)
ir_of() { sed -n 's/^summary: \([0-9]*\).*/\1/p' "$1.1"; }

printf '%-8s %s\n' build "worker_Ir/event redis_Ir/event redis_in_B/event (N=$N, C=$C)" | tee "$RES/results.txt"
for m in $MODULES; do
    label=${m%%=*} MODULE=${m#*=} out=$RES/$label
    valgrind --tool=callgrind --callgrind-out-file="$out.redis" \
        redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN/redis" \
        --save '' --appendonly no > "$out.redis.log" 2>&1 &
    VG_REDIS=$!
    wait_port "$REDIS_PORT"
    nginx_conf
    # one process that is the worker: nothing but requests in its counts
    valgrind --tool=callgrind --callgrind-out-file="$out.nginx" \
        nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log" \
        -g 'daemon off; master_process off;' > "$out.nginx.log" 2>&1 &
    VG_NGINX=$!
    for _ in $(seq 600); do (exec 3<> "/dev/tcp/127.0.0.1/$DVC_PORT") 2> /dev/null && break; sleep 0.1; done

    "$LOADGEN" submit 127.0.0.1 "$DVC_PORT" "$BODY" "$N" "$C" > "$out.codes" 2> "$out.submit"
    rcli config resetstat > /dev/null
    callgrind_control -z "$VG_NGINX" > /dev/null
    callgrind_control -z "$VG_REDIS" > /dev/null
    "$LOADGEN" events 127.0.0.1 "$DVC_PORT" "$EVKEY" "$out.codes" "$C" "$out.events" > "$out.result"
    callgrind_control -d "$VG_NGINX" > /dev/null
    callgrind_control -d "$VG_REDIS" > /dev/null
    inb=$(rcli info stats | tr -d '\r' | sed -n 's/^total_net_input_bytes://p')

    sed "s/^/HMGET dvc:d:/; s/$/ status history e:b.1.accept e:b.2.process e:b.3.resolve e:b.4.return/" \
        "$out.codes" | rcli --raw > "$out.hmget"
    curl -sf "http://127.0.0.1:$DVC_PORT/dvc/v1/stats?from=$TODAY&to=$TODAY" > "$out.stats.json"
    python3 "$HERE/check.py" "$out.codes" "$out.events" "$out.hmget" "$out.stats.json" \
        "$(rcli xlen dvc:inbox)" > "$out.check" || { cat "$out.check" >&2; exit 1; }
    ok=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$out.result")
    stop_all

    printf '%-8s %s %s %s  %s\n' "$label" "$(( $(ir_of "$out.nginx") / ok ))" \
        "$(( $(ir_of "$out.redis") / ok ))" "$(( inb / ok ))" "$(sed 's/^check: //' "$out.check")" \
        | tee -a "$RES/results.txt"
done
echo "events-ir: results in $RES"
