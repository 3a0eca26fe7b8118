#!/usr/bin/env bash
# Back-end events benchmark: signed POST /dvc/v1/dossiers/{code}/events
# through nginx and Redis, N dossiers each moved accept -> process -> resolve
# -> return by event_load.c (C connections), then checked: every event
# answered 200 applied exactly once.  Several builds of the module can be
# measured side by side, alternated round by round.  See bench/events/README.md.
#
# usage: bench/events/run.sh   env: N=5000 C=16 REPS=5 PIN=1
#        MODULES="label=/path/to/ngx_http_dvc_module.so ..." (default: this
#        tree's build, labelled "this") RUN=/tmp/dvcbench-events PORT_BASE=25000
#        PIN=1: nginx on core 1, Redis and the load generator on core 0
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=${N:-5000} C=${C:-16} REPS=${REPS:-5} PIN=${PIN:-1} PORT_BASE=${PORT_BASE:-25000}
RUN=${RUN:-/tmp/dvcbench-events}
MODULES=${MODULES:-this=$ROOT/build/ngx_http_dvc_module.so}
NAME=events
source "$HERE/../lib.sh"                # bench_begin, pin, load, ticks, other_load, machine_lines
source "$HERE/../gateway.sh"            # redis_start, nginx_start/stop, gateway_stop
LOADGEN=$ROOT/build/bench/event_load
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

[ -x "$ROOT/build/dvc" ] && [ -x "$LOADGEN" ] \
    || { echo "events: run 'make bench-events' (it builds what it needs)" >&2; exit 2; }
for m in $MODULES; do
    [ -f "${m#*=}" ] || { echo "events: no module ${m#*=}" >&2; exit 2; }
done
bench_begin "$NAME" nginx redis-server redis-cli curl python3 openssl

gateway_traps

# shellcheck disable=SC2153             # RES: set by bench_begin (lib.sh)
{
    machine_lines
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "N=$N C=$C REPS=$REPS PIN=$PIN"
    for m in $MODULES; do echo "module ${m%%=*}: ${m#*=} ($(sha256sum < "${m#*=}" | cut -c1-12))"; done
    echo "others' load before the run: $(other_load) % of one core"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"

# ------------------------------------------------------------------ start
redis_start
rm -f "$RUN/keys/k1.pem"
"$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1
EVKEY=$RUN/keys/event.key
(umask 077 && openssl rand -hex 32 > "$EVKEY")

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
RPID=$(cat "$RUN/redis/redis.pid")
HZ=$(getconf CLK_TCK)
per_event() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { printf "%.0f", t / hz * 1e6 / (n ? n : 1) }'; }
info() { rcli info "$1" | tr -d '\r'; }
stat_of() { sed -n "s/^$1:\(.*\)$/\1/p"; }
calls_of() { sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0; }
usec_of() { sed -n "s/^cmdstat_$1:calls=[0-9]*,usec=\([0-9]*\),.*/\1/p" | grep . || echo 0; }
# the dossier of procedure 1.001612 (accepted by the desk by hand: status 1)
BODY=$ROOT/examples/dossiers/1.001612.json
TODAY=$(TZ=Asia/Ho_Chi_Minh date +%F)

# measure LABEL REP: one measurement with the module LABEL stands for
measure() {
    local label=$1 rep=$2 out=$RES/$1-$2 line n0 n1 r0 r1 st cs ok
    nginx_stop
    nginx_start > /dev/null
    NGX=$(pgrep -P "$(cat "$R/nginx.pid")")

    # N fresh dossiers through the gateway itself: status 1, one inbox entry each
    rcli flushall > /dev/null
    load "$LOADGEN" submit 127.0.0.1 "$DVC_PORT" "$BODY" "$N" 8 > "$out.codes" 2> "$out.submit"
    rcli config resetstat > /dev/null

    n0=$(ticks "$NGX") r0=$(ticks "$RPID")
    line=$(load "$LOADGEN" events 127.0.0.1 "$DVC_PORT" "$EVKEY" "$out.codes" "$C" "$out.events" \
           | sed -n 's/^RESULT //p')
    n1=$(ticks "$NGX") r1=$(ticks "$RPID")
    st=$(info stats) cs=$(info commandstats)
    ok=$(sed 's/.*ok=\([0-9]*\).*/\1/' <<< "$line")

    # every 200 applied once: histories, once-only fields, statistics, inbox
    sed "s/^/HMGET dvc:d:/; s/$/ status history e:b.1.accept e:b.2.process e:b.3.resolve e:b.4.return/" \
        "$out.codes" | rcli --raw > "$out.hmget"
    curl -sf "http://127.0.0.1:$DVC_PORT/dvc/v1/stats?from=$TODAY&to=$TODAY" > "$out.stats.json"
    python3 "$HERE/check.py" "$out.codes" "$out.events" "$out.hmget" "$out.stats.json" \
        "$(rcli xlen dvc:inbox)" > "$out.check" || { cat "$out.check" >&2; exit 1; }

    printf '%-8s %-3s %s nginx_cpu_us=%s redis_cpu_us=%s script_us=%s redis_in_B=%s redis_out_B=%s eval=%s evalsha=%s %s\n' \
        "$label" "$rep" "$line" "$(per_event $((n1 - n0)) "$ok")" "$(per_event $((r1 - r0)) "$ok")" \
        "$(awk -v u=$(( $(usec_of eval <<< "$cs") + $(usec_of evalsha <<< "$cs") )) -v n="$ok" 'BEGIN { printf "%.2f", u / n }')" \
        "$(( $(stat_of total_net_input_bytes <<< "$st") / ok ))" \
        "$(( $(stat_of total_net_output_bytes <<< "$st") / ok ))" \
        "$(calls_of eval <<< "$cs")" "$(calls_of evalsha <<< "$cs")" \
        "$(sed 's/^check: .*: //' "$out.check")" | tee -a "$RES/results.txt"
}

# ------------------------------------------------------------------ measure
set -- $MODULES
say "$N dossiers x 4 events, $C connections, $REPS rounds of: $*"
for rep in $(seq "$REPS"); do
    # alternate the order too, so that a drift of the box favours no build
    if [ $((rep % 2)) = 1 ]; then order="$*"; else order=$(printf '%s\n' "$@" | tac | xargs); fi
    for m in $order; do
        MODULE=${m#*=}
        measure "${m%%=*}" "$rep"
    done
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RES/machine.txt"
grep -E '\[(alert|crit|emerg)\]|signal [0-9]+' "$RUN/dvc/error.log" && say "see $RUN/dvc/error.log" || true

# ------------------------------------------------------------------ summary
python3 - "$RES/results.txt" $(for m in $MODULES; do echo "${m%%=*}"; done) << 'PY' | tee "$RES/summary.txt"
import re, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
labels = sys.argv[2:]
keys = ["eps", "p50_us", "p99_us", "nginx_cpu_us", "redis_cpu_us", "script_us", "redis_in_B", "redis_out_B"]
def val(r, k): return float(next(x.split("=")[1] for x in r if x.startswith(k + "=")))
med = {}
print("median over %d rounds" % (len(rows) // len(labels)))
print("%-8s " % "build" + " ".join("%13s" % k for k in keys))
for lab in labels:
    rs = [r for r in rows if r[0] == lab]
    med[lab] = {k: statistics.median(val(r, k) for r in rs) for k in keys}
    print("%-8s " % lab + " ".join("%13.2f" % med[lab][k] if k == "script_us" else "%13.0f" % med[lab][k] for k in keys))
if len(labels) == 2:
    a, b = labels
    print("%-8s " % (b + "/" + a) + " ".join("%13.3f" % (med[b][k] / med[a][k] if med[a][k] else 0) for k in keys))
    reps = sorted({r[1] for r in rows})
    per = []
    for rep in reps:
        ra = next(r for r in rows if r[0] == a and r[1] == rep)
        rb = next(r for r in rows if r[0] == b and r[1] == rep)
        per.append("%.3f/%.3f" % (val(rb, "eps") / val(ra, "eps"), val(rb, "nginx_cpu_us") / val(ra, "nginx_cpu_us")))
    print("per round %s/%s events/s and worker CPU per event: %s" % (b, a, " ".join(per)))
PY
say "results in $RES"
