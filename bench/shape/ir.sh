#!/usr/bin/env bash
# Instructions per request (callgrind's Ir) of lookups and submissions, this
# build beside another (BASE=): a count that the other work on a shared box
# does not change, where CPU time per request moves by 10-20 % between rounds.
# See bench/shape/README.md.
#
# usage: BASE=/path/to/old/build bench/shape/ir.sh
# env:   MODES="lookup submit" ROUNDS=2 SECS=6 PORT_BASE=23000
#        PEERS=../shared/bench (seed.mjs, dvc.lua, the fixtures)  RUN=/tmp/dvcbench-ir
#        (figures: bench/shape/README.md)
# Each nginx runs alone under valgrind --tool=callgrind (master_process off:
# one process), Redis flushed before it; lookups read 200 dossiers seeded
# through its own POST, submissions POST the fixture dossier.  The counters
# are zeroed after a 2 s warm-up and 2 s idle (what wrk left in flight is
# done), then SECS of wrk -c10 and 2 s idle again, a dump: Ir divided by the
# requests the server began in between (calls of ngx_http_dvc_handler, not
# wrk's count, which leaves out up to -c requests in flight at its end).
# Under valgrind a submission runs ~50x slower: SECS=10 stays far below the
# 9,999 codes an agency gets a day.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench}
MODES=${MODES:-lookup submit} ROUNDS=${ROUNDS:-2} SECS=${SECS:-10}
PORT_BASE=${PORT_BASE:-23000} RUN=${RUN:-/tmp/dvcbench-ir}
RP=$((PORT_BASE + 379))
[ -n "${BASE:-}" ] && [ -f "$BASE/ngx_http_dvc_module.so" ] \
    || { echo "ir: BASE=DIR, a build directory with ngx_http_dvc_module.so" >&2; exit 2; }
[ -f "$ROOT/build/ngx_http_dvc_module.so" ] || { echo "ir: run 'make' first" >&2; exit 2; }
for tool in valgrind callgrind_control nginx redis-server redis-cli wrk node curl; do
    command -v "$tool" > /dev/null || { echo "ir: '$tool' is not installed" >&2; exit 2; }
done

rm -rf "$RUN"
mkdir -p "$RUN/redis" "$RUN/bodies"
cp "$PEERS/fixtures/dossier-valid.json" "$RUN/bodies/1.json"
redis-server --port "$RP" --save '' --appendonly no --daemonize yes \
    --pidfile "$RUN/redis/redis.pid" --dir "$RUN/redis" > /dev/null
trap 'kill "$(cat "$RUN/redis/redis.pid")" 2> /dev/null || true' EXIT
sleep 0.3

port_of() { [ "$1" = ours ] && echo $((PORT_BASE + 83)) || echo $((PORT_BASE + 84)); }
for t in ours base; do
    d=$RUN/$t
    mkdir -p "$d"
    m=$ROOT/build/ngx_http_dvc_module.so
    [ "$t" = ours ] || m=$BASE/ngx_http_dvc_module.so
    "$ROOT/build/dvc" keygen --out "$d/k1.pem" > /dev/null 2>&1
    sed -e "s|@MODULE@|$m|; s|@RUN@|$d|g; s|@PORT@|$(port_of "$t")|; s|@REDIS_PORT@|$RP|" \
        -e "s|@ROOT@|$ROOT|; s|@PROCEDURES@|$PEERS/fixtures/procedures|; s|@KEY@|$d/k1.pem|" \
        "$ROOT/bench/lookup/nginx.conf.in" > "$d/nginx.conf"
done

# load MODE TARGET DURATION: wrk's output
load() {
    local url
    url=http://127.0.0.1:$(port_of "$2")
    if [ "$1" = lookup ]; then
        MODE=get TOKENS=$RUN/$2.tokens wrk -t1 -c10 -d"$3" -s "$PEERS/load/dvc.lua" "$url"
    else
        BODIES=$RUN/bodies NBODIES=1 wrk -t1 -c10 -d"$3" -s "$ROOT/bench/submit/post.lua" "$url"
    fi
}

# calls FILE: how many times the callgrind dump FILE saw ngx_http_dvc_handler
# called (names are compressed: "cfn=(id) name" the first time, "cfn=(id)" after)
calls() {
    awk -v F=ngx_http_dvc_handler '
        /^c?fn=\(/ { match($0, /\([0-9]+\)/); id = substr($0, RSTART, RLENGTH)
                     rest = substr($0, RSTART + RLENGTH); sub(/^ /, "", rest)
                     if (rest != "") name[id] = rest
                     if ($0 ~ /^cfn=/) cur = name[id]
                     next }
        /^calls=/ { if (cur == F) { split($0, a, /[= ]/); n += a[2] } }
        END { print n + 0 }' "$1"
}

# measure MODE TARGET ROUND: one line "mode=.. target=.. round=.. requests=..
# wrk_requests=.. ir=.. ir_per_req=.."
measure() {
    local d=$RUN/$2 vp n w ir p
    p=$(port_of "$2")
    redis-cli -p "$RP" flushall > /dev/null
    rm -f "$d"/cg.out*
    valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" --dump-instr=no \
        nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off; master_process off;' \
        > "$d/valgrind.log" 2>&1 &
    vp=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.3; done
    if [ "$1" = lookup ]; then
        node "$PEERS/load/seed.mjs" "http://127.0.0.1:$p" 200 "$PEERS/fixtures/dossier-valid.json" \
            > "$RUN/$2.tokens" 2> /dev/null
    fi
    load "$1" "$2" 2s > /dev/null
    sleep 2
    callgrind_control -z "$vp" > /dev/null
    load "$1" "$2" "${SECS}s" > "$RUN/$1-$2-$3.wrk.txt"
    sleep 2
    callgrind_control -d "$vp" > /dev/null
    sleep 1
    kill "$vp"
    wait "$vp" 2> /dev/null || true
    grep -q ' non2xx=0 ' "$RUN/$1-$2-$3.wrk.txt" \
        || { echo "ir: non-2xx answers: $RUN/$1-$2-$3.wrk.txt" >&2; exit 1; }
    w=$(grep -o 'requests=[0-9]*' "$RUN/$1-$2-$3.wrk.txt" | cut -d= -f2)
    n=$(calls "$d/cg.out.1")
    ir=$(awk '/^summary:/ { print $2 }' "$d/cg.out.1")
    echo "mode=$1 target=$2 round=$3 requests=$n wrk_requests=$w ir=$ir ir_per_req=$((ir / n))"
}

for mode in $MODES; do
    for r in $(seq "$ROUNDS"); do
        order="ours base"
        [ $((r % 2)) = 1 ] || order="base ours"
        for t in $order; do measure "$mode" "$t" "$r"; done
    done
done | tee "$RUN/raw.txt"

echo
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
       s[v["mode"] " " v["target"]] += v["ir_per_req"]; c[v["mode"] " " v["target"]]++ }
     END { for (k in s) { split(k, mt, " "); m[mt[1]] = 1; a[k] = s[k] / c[k] }
           for (x in m) printf "%s: Ir per request ours %.0f, base %.0f, ours/base %.4f\n",
                               x, a[x " ours"], a[x " base"], a[x " ours"] / a[x " base"] }' \
    "$RUN/raw.txt"
