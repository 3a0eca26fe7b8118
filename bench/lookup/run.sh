#!/usr/bin/env bash
# Status-lookup benchmark: ngx_dvc's GET /dvc/v1/dossiers/{code}?token= against the
# peers of ../shared/bench (OpenResty, Node with 1 process) and nginx's own
# `return 200`, all in one run, in interleaved rounds (this VM's speed drifts by
# ±25 % over minutes: compare within a round).  See bench/lookup/README.md.
#
# usage: bench/lookup/run.sh        (or `make bench-lookup`)
# env:   REPS=5 D=10s WARMUP=2s N=2000 C=50
#        SEED=post  ngx_dvc's dossiers through its own POST, as the peers' (seed.mjs);
#             SEED=redis: written straight into Redis (seed-redis.mjs: 2-entry history)
#        PIN=1   server on core 1; wrk, the seeding clients and Redis on core 0 (PIN=0: none)
#        PEERS=../shared/bench   RUN=/tmp/dvcbench (runtime files and results)
#        PROFILE=1  afterwards, perf profile of ngx_dvc's worker under the same load
#        LOCK_WAIT=0  seconds to wait for another benchmark holding /tmp/dvcbench/lock
#        BUSY=25  flag a round when processes not started here used that % of one core
#        PORT_BASE=21000: Redis +379, ceiling +80, OpenResty +81, Node +82, ngx_dvc +83
set -euo pipefail
TIMEFORMAT='%3U %3S'                   # `time` prints wrk's user and system seconds
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench}
REPS=${REPS:-5} D=${D:-10s} WARMUP=${WARMUP:-2s} N=${N:-2000} C=${C:-50} PIN=${PIN:-1}
PORT_BASE=${PORT_BASE:-21000}
LOCK_WAIT=${LOCK_WAIT:-0}
SEED=${SEED:-post}
BUSY=${BUSY:-25}        # % of one core used by others that flags a round
MODULE=$ROOT/build/ngx_http_dvc_module.so
BASE=${BASE:-}          # another build's dir (its ngx_http_dvc_module.so): "base"
NOPEERS=${NOPEERS:-0}   # 1: ngx_dvc (and base) only, no ceiling or peers

# the peers' scripts take their ports and run directory from the environment (env.sh)
export RUN=${RUN:-/tmp/dvcbench}
export REDIS_PORT=$((PORT_BASE + 379)) CEILING_PORT=$((PORT_BASE + 80))
export OPENRESTY_PORT=$((PORT_BASE + 81)) NODE_PORT=$((PORT_BASE + 82))
DVC_PORT=$((PORT_BASE + 83)) BASE_PORT=$((PORT_BASE + 84))

[ -f "$PEERS/env.sh" ] || { echo "lookup: no peers in $PEERS (set PEERS=)" >&2; exit 2; }
[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] || { echo "lookup: run 'make' first" >&2; exit 2; }
case $SEED in post|redis) ;; *) echo "lookup: SEED=post|redis" >&2; exit 2 ;; esac
for tool in nginx redis-server redis-cli wrk node curl taskset bc; do
    command -v "$tool" > /dev/null || { echo "lookup: '$tool' is not installed" >&2; exit 2; }
done
source "$PEERS/env.sh"                  # BENCH, wait_port, stop_pidfile, start/stop_redis
source "$HERE/../lib.sh"                # pin, load, ticks, other_load, machine_lines

# one benchmark at a time, whatever its RUN: the cores are shared (other benchmarks
# of this project take the same lock)
LOCK=/tmp/dvcbench/lock
mkdir -p "${LOCK%/*}"
exec 9> "$LOCK"
# fd 8: the terminal, for a Ctrl-C that lands while stdout goes to a wrk output file
exec 8>&1
if ! flock -w "$LOCK_WAIT" 9; then
    echo "lookup: another benchmark holds $LOCK (fuser -v $LOCK): two at once" \
         "spoil each other's figures; LOCK_WAIT=SECONDS waits for it" >&2
    exit 2
fi

RES=$RUN/results/$(date -u +%Y%m%d-%H%M%S)-pin$PIN
mkdir -p "$RES"
RAW=$RES/raw.txt
: > "$RAW"

say() { echo "lookup: $*"; }

stop_ours() { stop_pidfile "$RUN/dvc/nginx.pid"; stop_pidfile "$RUN/base/nginx.pid"; }
cleanup() {
    trap - EXIT INT TERM
    stop_ours
    "$BENCH/peers/ceiling/stop.sh" || true
    "$BENCH/peers/openresty/stop.sh" || true
    "$BENCH/peers/node/stop.sh" || true
    stop_redis || true
}

{
    machine_lines
    node --version
    { wrk --version 2>&1 || true; } | head -1
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "module: $MODULE, built $(date -u -r "$MODULE" -Is)"
    echo "REPS=$REPS D=$D WARMUP=$WARMUP N=$N C=$C PIN=$PIN SEED=$SEED"
} > "$RES/machine.txt"

# ---------------------------------------------------------------- start everything
# The box may be shared: measure what runs before anything of ours does.
other=$(other_load)
echo "idle box before the run: ${other}% of one core busy" >> "$RES/machine.txt"
if [ "$other" -ge "$BUSY" ]; then
    say "WARNING: before starting, other processes already use ${other}% of one core:"
    say "         the figures will be unreliable (rounds are flagged 'busy box')"
fi

cleanup > /dev/null 2>&1 || true        # leftovers of an interrupted run (our pid files only)
trap cleanup EXIT
trap 'echo >&8; say interrupted >&8; exit 130' INT TERM

start_redis 9>&- 8>&-                  # the servers must not inherit the lock
REDIS_PID=$(cat "$RUN/redis/redis.pid")
pin 0 "$REDIS_PID"
say "redis $(redis-server --version | grep -o 'v=[0-9.]*') on 127.0.0.1:$REDIS_PORT (no persistence)"

# start_dvc DIR MODULE PORT
start_dvc() {
    local d=$1 m=$2 port=$3
    mkdir -p "$d"
    # ngx_dvc's own signing key (the peers' key in $RUN/keys is theirs)
    [ -s "$d/k1.pem" ] || "$ROOT/build/dvc" keygen --out "$d/k1.pem" > /dev/null 2>&1
    sed -e "s|@MODULE@|$m|; s|@RUN@|$d|g; s|@PORT@|$port|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@ROOT@|$ROOT|; s|@PROCEDURES@|$PROCEDURES|; s|@KEY@|$d/k1.pem|" \
        "$HERE/nginx.conf.in" > "$d/nginx.conf"
    : > "$d/error.log"
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -t -q
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 9>&- 8>&-
    wait_port "$port"
    pin 1 "$(cat "$d/nginx.pid")"
    say "ngx_dvc ($m) on http://127.0.0.1:$port"
}

R=$RUN/dvc
start_dvc "$R" "$MODULE" "$DVC_PORT"
[ -z "$BASE" ] || start_dvc "$RUN/base" "$BASE/ngx_http_dvc_module.so" "$BASE_PORT"

TARGETS="ceiling ours${BASE:+ base}"
if [ "$NOPEERS" = 1 ]; then
    TARGETS="ours${BASE:+ base}"
elif "$BENCH/peers/ceiling/start.sh" 1 > /dev/null 9>&- 8>&-; then
    pin 1 "$(cat "$RUN/ceiling/nginx.pid")"
    say "nginx return 200 on http://127.0.0.1:$CEILING_PORT"
else
    say "the ceiling nginx did not start: measured without it"
    TARGETS="ours${BASE:+ base}"
fi

if [ "$NOPEERS" = 1 ]; then
    :
elif "$BENCH/peers/openresty/start.sh" 1 > /dev/null 9>&- 8>&-; then
    pin 1 "$(cat "$RUN/openresty/nginx.pid")"
    TARGETS="$TARGETS openresty"
    say "OpenResty peer on http://127.0.0.1:$OPENRESTY_PORT"
else
    say "the OpenResty peer did not start (see $RUN/openresty/error.log): measured without it"
fi

node_ok=1
[ "$NOPEERS" != 1 ] || node_ok=0
if [ "$node_ok" = 1 ] && [ ! -d "$BENCH/peers/node/node_modules" ]; then
    say "installing the Node peer's packages (npm ci in $BENCH/peers/node)"
    (cd "$BENCH/peers/node" && npm ci --no-audit --no-fund > "$RES/npm-ci.txt" 2>&1) || {
        say "npm ci failed (see $RES/npm-ci.txt): measured without the Node peer"
        node_ok=0
    }
fi
if [ "$node_ok" = 1 ] && "$BENCH/peers/node/start.sh" 1 > /dev/null 9>&- 8>&-; then
    pin 1 "$(cat "$RUN/node/$NODE_PORT.pid")"
    TARGETS="$TARGETS node"
    say "Node peer (1 process) on http://127.0.0.1:$NODE_PORT"
elif [ "$node_ok" = 1 ]; then
    say "the Node peer did not start (see $RUN/node/$NODE_PORT.log): measured without it"
fi

# ---------------------------------------------------------------- seeding and checks
url_of() {
    case $1 in
        ceiling) echo "http://127.0.0.1:$CEILING_PORT" ;;
        ours) echo "http://127.0.0.1:$DVC_PORT" ;;
        base) echo "http://127.0.0.1:$BASE_PORT" ;;
        openresty) echo "http://127.0.0.1:$OPENRESTY_PORT" ;;
        node) echo "http://127.0.0.1:$NODE_PORT" ;;
    esac
}

# seed TARGET: empty Redis, N dossiers, "<code> <token>" lines in $RES/TARGET.tokens
seed() {
    local t=$1 tokens=$RES/$1.tokens out
    redis-cli -p "$REDIS_PORT" flushall > /dev/null
    if { [ "$t" = ours ] || [ "$t" = base ]; } && [ "$SEED" = redis ]; then
        # without submission: the hashes written straight into Redis
        out=$(load node "$HERE/seed-redis.mjs" "$N" "$tokens" \
              | load redis-cli -p "$REDIS_PORT" --pipe 2>&1)
        grep -q "errors: 0, replies: $N" <<< "$out" \
            || { say "seeding ours failed: $out" >&2; return 1; }
    else
        load node "$BENCH/load/seed.mjs" "$(url_of "$t")" "$N" \
            "$BENCH/fixtures/dossier-valid.json" > "$tokens" 2> "$RES/$t.seed.txt" || true
        [ "$(wc -l < "$tokens")" = "$N" ] \
            || { say "seeding $t failed: $(cat "$RES/$t.seed.txt")" >&2; return 1; }
    fi
}

# status URL: the HTTP status of one GET (body in $RES/check.body)
status() { curl -s -o "$RES/check.body" -w '%{http_code}' "$1"; }

# check TARGET: a seeded dossier is found (200, its code in the answer) and a wrong
# token gets 404; for ours also an unknown code (404) and a malformed one (400)
check() {
    local t=$1 url code token wrong s
    url=$(url_of "$t")
    read -r code token < "$RES/$t.tokens"
    s=$(status "$url/dvc/v1/dossiers/$code?token=$token")
    if [ "$s" != 200 ] || ! grep -q "\"code\":\"$code\"" "$RES/check.body"; then
        say "CHECK FAILED: $t answered $s to a seeded dossier: $(head -c 300 "$RES/check.body")" >&2
        return 1
    fi
    cp "$RES/check.body" "$RES/$t.answer.json"
    # the same token with its first character changed
    if [ "${token:0:1}" = A ]; then wrong=B${token:1}; else wrong=A${token:1}; fi
    s=$(status "$url/dvc/v1/dossiers/$code?token=$wrong")
    [ "$s" = 404 ] || { say "CHECK FAILED: $t answered $s to a wrong token" >&2; return 1; }
    [ "$t" = ours ] || [ "$t" = base ] || return 0
    s=$(status "$url/dvc/v1/dossiers/${code%-*}-9999?token=$token")
    [ "$s" = 404 ] || { say "CHECK FAILED: ours answered $s to an unknown code" >&2; return 1; }
    s=$(status "$url/dvc/v1/dossiers/not-a-code?token=$token")
    [ "$s" = 400 ] || { say "CHECK FAILED: ours answered $s to a malformed code" >&2; return 1; }
}

# ---------------------------------------------------------------- measuring
pidfile_of() {
    case $1 in
        ceiling) echo "$RUN/ceiling/nginx.pid" ;;
        ours) echo "$RUN/dvc/nginx.pid" ;;
        base) echo "$RUN/base/nginx.pid" ;;
        openresty) echo "$RUN/openresty/nginx.pid" ;;
        node) echo "$RUN/node/$NODE_PORT.pid" ;;
    esac
}

# busy: CPU ticks all cores spent outside idle and iowait so far
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# measure ROUND TARGET: 2 s warm-up (discarded), then D of wrk; one raw line with
# the server's CPU time per request (srv_us, µs) and the CPU (% of one core) of the
# server, Redis, wrk and everything else meanwhile: "other" is load this script did
# not start (the box may be shared), which spoils a round's req/s; srv_us suffers less
measure() {
    local r=$1 t=$2 url mode=get line hz master srv0 srv1 red0 red1 all0 all1 t0 t1 wrk_s
    local -a srv
    url=$(url_of "$t")
    [ "$t" = ceiling ] && { mode=plain; url=$url/; }
    if [ "$WARMUP" != 0 ]; then
        load env MODE=$mode TOKENS="$RES/$t.tokens" \
            wrk -t1 -c"$C" -d"$WARMUP" -s "$BENCH/load/dvc.lua" "$url" > /dev/null
    fi
    hz=$(getconf CLK_TCK)
    master=$(cat "$(pidfile_of "$t")")
    srv=("$master" $(pgrep -P "$master" || true))
    srv0=$(ticks "${srv[@]}") red0=$(ticks "$REDIS_PID") all0=$(busy) t0=$(date +%s.%N)
    { time load env MODE=$mode TOKENS="$RES/$t.tokens" \
        wrk -t1 -c"$C" -d"$D" --latency -s "$BENCH/load/dvc.lua" "$url" \
        > "$RES/$t-$r.wrk.txt"; } 2> "$RES/$t-$r.time.txt"
    srv1=$(ticks "${srv[@]}") red1=$(ticks "$REDIS_PID") all1=$(busy) t1=$(date +%s.%N)
    wrk_s=$(awk '{ print $1 + $2 }' "$RES/$t-$r.time.txt")
    line=$(grep '^RESULT' "$RES/$t-$r.wrk.txt" | cut -d' ' -f2-) \
        || { say "wrk printed no result for $t (see $RES/$t-$r.wrk.txt)" >&2; return 1; }
    line="$line $(awk -v hz="$hz" -v s=$((srv1 - srv0)) -v rd=$((red1 - red0)) \
        -v all=$((all1 - all0)) -v w="$wrk_s" -v el="$(echo "$t1 - $t0" | bc)" -v redis_used="$t" \
        -v n="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<< "$line")" '
        BEGIN { pct = 100 / (hz * el); srv = s * pct; red = (redis_used == "ceiling") ? 0 : rd * pct
                wrk = w * 100 / el; other = all * pct - s * pct - rd * pct - wrk
                if (other < 0) other = 0
                printf "srv_us=%.1f srv_cpu=%.0f redis_cpu=%.0f wrk_cpu=%.0f other_cpu=%.0f",
                       s / hz * 1e6 / (n > 0 ? n : 1), srv, red, wrk, other }')"
    echo "round=$r target=$t $line" >> "$RAW"
    local flag=""
    case $line in *" non2xx=0 sock_err=0 "*) ;; *) flag="$flag  <-- FLAGGED: errors" ;; esac
    [ "${line##*other_cpu=}" -lt "$BUSY" ] || flag="$flag  <-- busy box: other load"
    printf 'round %s  %-9s %s%s\n' "$r" "$t" "$line" "$flag"
}

echo
say "targets: $TARGETS; $REPS rounds of wrk GET, 1 thread, $C connections, $D (after $WARMUP unmeasured)"
say "PIN=$PIN; N=$N dossiers per target, Redis flushed and re-seeded before each"
if [ "$SEED" = post ]; then
    say "seeding: every server through its own POST /dvc/v1/dossiers (seed.mjs)"
else
    say "seeding: the peers through their POST (seed.mjs); ngx_dvc's dossiers written"
    say "         straight into Redis (SEED=redis: HSET in the docs/redis.md schema, 2-entry history)"
fi
echo

for r in $(seq "$REPS"); do
    order=$TARGETS
    # ours and base swap places every other round: neither always goes first
    [ $((r % 2)) = 1 ] || order=${order/ours base/base ours}
    for t in $order; do
        if [ "$t" != ceiling ]; then
            seed "$t"
            check "$t"
        fi
        measure "$r" "$t"
    done
done

# ---------------------------------------------------------------- results
echo
BUSY=$BUSY node "$HERE/summary.mjs" "$RAW" | tee "$RES/summary.md"
echo
if grep -E '\[(alert|emerg|crit)\]|signal [0-9]+' "$RUN/dvc/error.log" > "$RES/ours.errors.txt"; then
    say "ngx_dvc's error log has $(wc -l < "$RES/ours.errors.txt") alert/emerg/crit lines: $RES/ours.errors.txt"
else
    say "ngx_dvc's error log: no [alert], [emerg], [crit] or crash"
fi
cp "$RUN/dvc/error.log" "$RES/ours.error.log"

# PROFILE=1: where ngx_dvc's worker spends its time (perf, cpu-clock, 8 s under load)
if [ "${PROFILE:-0}" = 1 ]; then
    command -v perf > /dev/null || { say "PROFILE=1 needs perf (linux-perf)" >&2; exit 1; }
    seed ours
    worker=$(pgrep -P "$(cat "$RUN/dvc/nginx.pid")")
    load env MODE=get TOKENS="$RES/ours.tokens" \
        wrk -t1 -c"$C" -d12s -s "$BENCH/load/dvc.lua" "$(url_of ours)" > "$RES/ours-profile.wrk.txt" &
    wrk_pid=$!
    sleep 2
    perf record -q -e cpu-clock -F 1999 -g -p "$worker" -o "$RES/ours.perf.data" -- sleep 8 2> /dev/null
    wait "$wrk_pid"
    report() { perf report -i "$RES/ours.perf.data" --no-children --stdio -g none "$@" 2> /dev/null; }
    report --sort dso | grep -v '^#' | grep -v '^$' | head -12 > "$RES/ours.perf.dso.txt" || true
    report --sort dso,sym | grep -v '^#' | grep -v '^$' | head -40 > "$RES/ours.perf.sym.txt" || true
    report -n --sort dso,sym | awk -f "$HERE/perf-categories.awk" > "$RES/ours.perf.categories.txt"
    echo
    say "profile of ngx_dvc's worker during: $(grep '^RESULT' "$RES/ours-profile.wrk.txt" | cut -d' ' -f2-)"
    echo "== by category"; cat "$RES/ours.perf.categories.txt"
    echo "== by library"; cat "$RES/ours.perf.dso.txt"
    echo "== top symbols"; head -30 "$RES/ours.perf.sym.txt"
fi
say "raw figures, wrk outputs and answers in $RES"
