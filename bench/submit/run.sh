#!/usr/bin/env bash
# Submission benchmark: ngx_dvc's POST /dvc/v1/dossiers (1 nginx worker) against
# the Node peer of ../shared/bench (1 process: ajv + ioredis + Ed25519) on the same
# dossier (../shared/bench/fixtures/dossier-valid.json) and the same procedure, in
# interleaved rounds of one run.  See bench/submit/README.md.
#
# usage: bench/submit/run.sh        env: REPS=5 D=10s WARMUP=2s C=50 NAG=40 PIN=1
#        PIN=1: servers on core 1; wrk and Redis on core 0 (PIN=0: none)
#        NAG: copies of the fixture procedure, each with its own agency, that the
#             load rotates over, so no agency passes 9,999 dossiers a day (past
#             it ngx_dvc answers 503, as the law's 4-digit code demands)
#        PEERS=../shared/bench  RUN=/tmp/dvcbench-submit  PORT_BASE=22000
#        BASE=DIR: also another build's module (DIR/ngx_http_dvc_module.so, e.g.
#             an older commit's build/) as "base", in the same rounds
#        NODE=0: without the Node peer
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench}
REPS=${REPS:-5} D=${D:-10s} WARMUP=${WARMUP:-2s} C=${C:-50} NAG=${NAG:-40} PIN=${PIN:-1}
PORT_BASE=${PORT_BASE:-22000}
MODULE=$ROOT/build/ngx_http_dvc_module.so
BASE=${BASE:-} NODE=${NODE:-1}
TARGETS="ours${BASE:+ base}"
[ "$NODE" = 0 ] || TARGETS="$TARGETS node"

export RUN=${RUN:-/tmp/dvcbench-submit}
export REDIS_PORT=$((PORT_BASE + 379)) NODE_PORT=$((PORT_BASE + 82))
DVC_PORT=$((PORT_BASE + 83)) BASE_PORT=$((PORT_BASE + 84))

[ -f "$PEERS/env.sh" ] || { echo "submit: no peers in $PEERS (set PEERS=)" >&2; exit 2; }
[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] \
    || { echo "submit: run 'make' first" >&2; exit 2; }
[ -z "$BASE" ] || [ -f "$BASE/ngx_http_dvc_module.so" ] \
    || { echo "submit: no $BASE/ngx_http_dvc_module.so (BASE=)" >&2; exit 2; }
source "$HERE/../lib.sh"                # bench_lock, pin, load, ticks, other_load, machine_lines
bench_lock submit nginx redis-server redis-cli wrk curl taskset python3 \
    $([ "$NODE" = 0 ] || echo node)
source "$PEERS/env.sh"                  # BENCH, wait_port, stop_pidfile, start/stop_redis

# the lookup benchmark (bench/lookup/run.sh) uses the same cores: never overlap
SHARED_LOCK=${SHARED_LOCK:-/tmp/dvcbench/lock}
mkdir -p "$(dirname "$SHARED_LOCK")"
exec 8> "$SHARED_LOCK"
flock -n 8 || { echo "submit: waiting for $SHARED_LOCK (a lookup benchmark runs)"; flock 8; }

bench_results
# shellcheck disable=SC2153             # RES: set by bench_results (lib.sh)
RAW=$RES/raw.txt
: > "$RAW"

NODE_PIDFILE=$RUN/node/$NODE_PORT.pid
cleanup() {
    trap - EXIT INT TERM
    stop_pidfile "$RUN/dvc/nginx.pid"
    stop_pidfile "$RUN/base/nginx.pid"
    stop_pidfile "$NODE_PIDFILE"
    stop_redis || true
}
cleanup > /dev/null 2>&1 || true
trap cleanup EXIT
trap 'echo; say interrupted; exit 130' INT TERM

{
    machine_lines
    [ "$NODE" = 0 ] || node --version
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    [ -z "$BASE" ] || echo "base: $BASE"
    echo "REPS=$REPS D=$D WARMUP=$WARMUP C=$C NAG=$NAG PIN=$PIN TARGETS=$TARGETS"
} > "$RES/machine.txt"

# the box may be shared: what runs before anything of ours does
other=$(other_load)
echo "idle box before the run: ${other}% of one core busy" | tee -a "$RES/machine.txt"
[ "$other" -lt 25 ] || say "WARNING: other processes use ${other}% of one core: figures unreliable"

# ---------------------------------------------------------------- the fixtures
# NAG copies of the fixture procedure (codes 1.9000NN, agencies 000.00.NN.H47),
# and the fixture dossier naming each: the same bytes but the procedure code
PROCS=$RUN/procs BODIES=$RUN/bodies
rm -rf "$PROCS" "$BODIES"
mkdir -p "$PROCS" "$BODIES"
python3 - "$BENCH/fixtures" "$PROCS" "$BODIES" "$NAG" <<'PY'
import json, sys
fx, procs, bodies, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
schema = open(fx + "/procedures/1.000001.json", encoding="utf-8").read()
body = open(fx + "/dossier-valid.json", "rb").read()
assert schema.count("1.000001") == 3 and schema.count('"000.00.10.H47"') == 1
assert body.count(b'"1.000001"') == 1
for k in range(1, n + 1):
    code, agency = "1.9%05d" % k, "000.00.%02d.H47" % (9 + k)
    s = schema.replace("1.000001", code).replace('"000.00.10.H47"', '"%s"' % agency)
    json.loads(s)
    open("%s/%s.json" % (procs, code), "w", encoding="utf-8").write(s)
    open("%s/%d.json" % (bodies, k), "wb").write(body.replace(b'"1.000001"', b'"%s"' % code.encode()))
PY

mkdir -p "$RUN/keys"
rm -f "$RUN/keys/k1.pem"
"$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1

# ---------------------------------------------------------------- start everything
start_redis
REDIS_PID=$(cat "$RUN/redis/redis.pid")
pin 0 "$REDIS_PID"
say "redis $(redis-server --version | grep -o 'v=[0-9.]*') on 127.0.0.1:$REDIS_PORT (no persistence)"

# start_dvc DIR MODULE PORT: one nginx with the module, 1 worker, on core 1
start_dvc() {
    local d=$1 m=$2 port=$3
    mkdir -p "$d"
    sed -e "s|@MODULE@|$m|; s|@RUN@|$d|g; s|@PORT@|$port|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@PROCS@|$PROCS|; s|@ROOT@|$ROOT|; s|$d/keys|$RUN/keys|" \
        "$HERE/nginx.conf.in" > "$d/nginx.conf"
    : > "$d/error.log"
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -t -q
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_port "$port"
    pin 1 "$(cat "$d/nginx.pid")"
    say "ngx_dvc ($m) on http://127.0.0.1:$port, 1 worker"
}

R=$RUN/dvc
start_dvc "$R" "$MODULE" "$DVC_PORT"
[ -z "$BASE" ] || start_dvc "$RUN/base" "$BASE/ngx_http_dvc_module.so" "$BASE_PORT"

if [ "$NODE" = 0 ]; then
    :
elif [ ! -d "$BENCH/peers/node/node_modules" ]; then
    say "npm ci in $BENCH/peers/node"
    (cd "$BENCH/peers/node" && npm ci --no-audit --no-fund > "$RES/npm-ci.txt" 2>&1)
fi
if [ "$NODE" != 0 ]; then
# as peers/node/start.sh does, but with our procedure copies and key
mkdir -p "$RUN/node"
cd "$RUN/node"
PORT=$NODE_PORT REDIS_PORT=$REDIS_PORT DVC_KEY=$RUN/keys/k1.pem PROCEDURES=$PROCS WORKERS=1 \
    nohup node "$BENCH/peers/node/server.mjs" > "$RUN/node/$NODE_PORT.log" 2>&1 &
echo $! > "$NODE_PIDFILE"
cd "$ROOT"
wait_port "$NODE_PORT"
pin 1 "$(cat "$NODE_PIDFILE")"
say "Node peer (1 worker process) on http://127.0.0.1:$NODE_PORT"
fi

url_of() { case $1 in ours) echo "http://127.0.0.1:$DVC_PORT" ;; base) echo "http://127.0.0.1:$BASE_PORT" ;; node) echo "http://127.0.0.1:$NODE_PORT" ;; esac; }
pidfile_of() { case $1 in ours) echo "$R/nginx.pid" ;; base) echo "$RUN/base/nginx.pid" ;; node) echo "$NODE_PIDFILE" ;; esac; }

# check TARGET: one dossier of each of two agencies gets 201 and a code of its agency
check() {
    local t=$1 k s
    for k in 1 "$NAG"; do
        s=$(curl -s -o "$RES/$t.answer.json" -w '%{http_code}' -H 'Content-Type: application/json' \
            --data-binary @"$BODIES/$k.json" "$(url_of "$t")/dvc/v1/dossiers")
        if [ "$s" != 201 ] || ! grep -q "\"code\":\"000.00.$(printf %02d $((9 + k))).H47-" "$RES/$t.answer.json"; then
            say "CHECK FAILED: $t answered $s: $(head -c 300 "$RES/$t.answer.json")" >&2
            return 1
        fi
    done
}

# measure ROUND TARGET: FLUSHALL, warm-up (discarded), FLUSHALL, D of wrk
measure() {
    local r=$1 t=$2 url line master srv0 srv1 red0 red1 hz n
    local -a srv
    url=$(url_of "$t")
    redis-cli -p "$REDIS_PORT" flushall > /dev/null
    if [ "$WARMUP" != 0 ]; then
        load env BODIES="$BODIES" NBODIES="$NAG" \
            wrk -t1 -c"$C" -d"$WARMUP" -s "$HERE/post.lua" "$url" > /dev/null
    fi
    redis-cli -p "$REDIS_PORT" flushall > /dev/null
    hz=$(getconf CLK_TCK)
    master=$(cat "$(pidfile_of "$t")")
    srv=("$master" $(pgrep -P "$master" || true))
    srv0=$(ticks "${srv[@]}") red0=$(ticks "$REDIS_PID")
    load env BODIES="$BODIES" NBODIES="$NAG" \
        wrk -t1 -c"$C" -d"$D" --latency -s "$HERE/post.lua" "$url" > "$RES/$t-$r.wrk.txt"
    srv1=$(ticks "${srv[@]}") red1=$(ticks "$REDIS_PID")
    line=$(grep '^RESULT' "$RES/$t-$r.wrk.txt" | cut -d' ' -f2-) \
        || { say "wrk printed no result for $t (see $RES/$t-$r.wrk.txt)" >&2; return 1; }
    n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<< "$line")
    # what Redis holds afterwards: every 2xx must be a dossier and an inbox entry
    line="$line srv_us=$(awk -v s=$((srv1 - srv0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", s / hz * 1e6 / (n ? n : 1) }')"
    line="$line redis_us=$(awk -v s=$((red1 - red0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", s / hz * 1e6 / (n ? n : 1) }')"
    line="$line inbox=$(redis-cli -p "$REDIS_PORT" xlen dvc:inbox)"
    echo "round=$r target=$t $line" >> "$RAW"
    printf 'round %s  %-5s %s\n' "$r" "$t" "$line"
}

for t in $TARGETS; do check "$t"; done

echo
say "$REPS interleaved rounds of wrk POST, 1 thread, $C connections, $D (after $WARMUP unmeasured);"
say "Redis FLUSHALLed before each warm-up and each measured run; PIN=$PIN; $NAG agencies rotated"
echo
for r in $(seq "$REPS"); do
    order=$TARGETS
    # ours and base swap places every other round: neither always goes first
    [ $((r % 2)) = 1 ] || order=${order/ours base/base ours}
    for t in $order; do measure "$r" "$t"; done
done

# ---------------------------------------------------------------- results
echo
python3 - "$RAW" <<'PY' | tee "$RES/summary.md"
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1])]
med = {}
print("| target | rounds | req/s (median) | p50 ms | p99 ms (median) | non-2xx (sum) | socket errors | server CPU µs/req | Redis CPU µs/req |")
print("|---|---|---|---|---|---|---|---|---|")
names = {"ours": "ngx_dvc (1 worker)", "base": "ngx_dvc BASE (1 worker)",
         "node": "Node peer (1 process)"}
for t in ("ours", "base", "node"):
    rs = [r for r in rows if r["target"] == t]
    if not rs:
        continue
    m = {k: statistics.median(float(r[k]) for r in rs) for k in ("rps", "p50_ms", "p99_ms", "srv_us", "redis_us")}
    med[t] = m
    print("| %s | %d | %.0f | %.2f | %.2f | %d | %d | %.1f | %.1f |" % (
        names[t], len(rs), m["rps"],
        m["p50_ms"], m["p99_ms"], sum(int(r["non2xx"]) for r in rs),
        sum(int(r["sock_err"]) for r in rs), m["srv_us"], m["redis_us"]))
o = med["ours"]
def per_round(a, b, k):
    return [float(x[k]) / float(y[k]) for x, y in zip(
        [r for r in rows if r["target"] == a], [r for r in rows if r["target"] == b])]
if "node" in med:
    n = med["node"]
    print()
    print("throughput ratio ngx_dvc / Node: %.2fx (target >= 2x)" % (o["rps"] / n["rps"]))
    print("p99 ratio ngx_dvc / Node: %.2f (target < 1)" % (o["p99_ms"] / n["p99_ms"]))
    print("per-round throughput ratios: " + " ".join("%.2f" % x for x in per_round("ours", "node", "rps")))
if "base" in med:
    b = med["base"]
    print()
    print("server CPU per request ngx_dvc / BASE: %.3f (median %.1f / %.1f us)" % (
        o["srv_us"] / b["srv_us"], o["srv_us"], b["srv_us"]))
    print("per-round CPU ratios: " + " ".join("%.3f" % x for x in per_round("ours", "base", "srv_us")))
    print("throughput ratio ngx_dvc / BASE: %.3f" % (o["rps"] / b["rps"]))
PY
echo
if grep -E '\[(alert|emerg|crit)\]|signal [0-9]+' "$R/error.log" > "$RES/ours.errors.txt"; then
    say "ngx_dvc's error log has $(wc -l < "$RES/ours.errors.txt") alert/emerg/crit lines: $RES/ours.errors.txt"
else
    say "ngx_dvc's error log: no [alert], [emerg], [crit] or crash"
fi
{ grep -c 'exhausted' "$R/error.log" || true; } | sed 's/^/submit: "daily sequence ... exhausted" lines: /'
cp "$R/error.log" "$RES/ours.error.log"
say "raw figures and wrk outputs in $RES"
