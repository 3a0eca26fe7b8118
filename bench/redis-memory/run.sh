#!/usr/bin/env bash
# Redis memory per dossier: N dossiers submitted through nginx (the gateway's own
# code path: MULTI/EXEC of the hash, the inbox entry, the index, the
# idempotency record, the statistics), then Redis's INFO memory and MEMORY
# USAGE, the body's bytes subtracted; then the back-end acknowledges and trims
# the inbox (the rule of docs/inbox.md) and the idempotency records expire.
# See bench/redis-memory/README.md.
#
# usage: bench/redis-memory/run.sh   env: N=100000 NAG=12 C=16 IDEM=1
#        REDIS_CONF="hash-max-listpack-value 64"  (extra redis-server options)
#        PIN=0 RUN=/tmp/dvcbench-redis-memory PORT_BASE=24000
#        DUR=600s (wrk's -d: it sits it out after COUNT answers; 60s does for N=20000)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH=$ROOT/../shared/bench
N=${N:-100000} NAG=${NAG:-12} C=${C:-16} IDEM=${IDEM:-1}
PIN=${PIN:-0} PORT_BASE=${PORT_BASE:-24000} DUR=${DUR:-600s}
RUN=${RUN:-/tmp/dvcbench-redis-memory}
NAME=redis-memory
source "$HERE/../lib.sh"
source "$HERE/../gateway.sh"
MODULE=$ROOT/build/ngx_http_dvc_module.so
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] || { echo "$NAME: run 'make' first" >&2; exit 2; }
[ $((N / NAG)) -lt 9999 ] || { echo "$NAME: N/NAG must stay under 9,999 codes a day per agency" >&2; exit 2; }
bench_begin "$NAME" nginx redis-server redis-cli wrk python3
gateway_traps
{
    machine_lines
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "N=$N NAG=$NAG C=$C IDEM=$IDEM REDIS_CONF=${REDIS_CONF:-}"
} > "$RES/machine.txt"

# NAG copies of the fixture procedure, one agency each, and the fixture dossier
# naming each (the same length: only the procedure code differs)
PROCS=$RUN/procs BODIES=$RUN/bodies
rm -rf "$PROCS" "$BODIES"
mkdir -p "$PROCS" "$BODIES"
python3 - "$BENCH/fixtures" "$PROCS" "$BODIES" "$NAG" <<'PY'
import json, sys
fx, procs, bodies, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
schema = open(fx + "/procedures/1.000001.json", encoding="utf-8").read()
body = open(fx + "/dossier-valid.json", "rb").read()
for k in range(1, n + 1):
    code, agency = "1.9%05d" % k, "000.00.%02d.H47" % (9 + k)
    s = schema.replace("1.000001", code).replace('"000.00.10.H47"', '"%s"' % agency)
    open("%s/%s.json" % (procs, code), "w", encoding="utf-8").write(s)
    open("%s/%d.json" % (bodies, k), "wb").write(body.replace(b'"1.000001"', b'"%s"' % code.encode()))
PY
BODY=$(wc -c < "$BODIES/1.json")

redis_start
# shellcheck disable=SC2086
[ -z "${REDIS_CONF:-}" ] || redis-cli -p "$REDIS_PORT" config set ${REDIS_CONF} > /dev/null
rm -f "$RUN/keys/k1.pem"
"$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1
nginx_conf() {
    R=$RUN/dvc
    sed -e "s|@MODULE@|$MODULE|; s|@RUN@|$R|g; s|@PORT@|$DVC_PORT|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@PROCS@|$PROCS|; s|@ROOT@|$ROOT|g; s|$R/keys|$RUN/keys|" \
        "$HERE/nginx.conf.in" > "$R/nginx.conf"
    : > "$R/error.log"
    nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log" -t -q
}
nginx_start

rc() { redis-cli -p "$REDIS_PORT" "$@"; }
used() { rc info memory | sed -n 's/^used_memory:\([0-9]*\)\r$/\1/p'; }
# one warm-up dossier per agency opens the connection and the counters' cells
# (shared by every dossier, not per dossier), then they go
for k in $(seq "$NAG"); do
    curl -sf -o /dev/null -H 'Content-Type: application/json' \
        --data-binary @"$BODIES/$k.json" "http://127.0.0.1:$DVC_PORT/dvc/v1/dossiers"
done
for k in $(rc --scan --pattern 'dvc:d:*'); do rc unlink "$k" > /dev/null; done
for k in $(rc --scan --pattern 'dvc:idem:*'); do rc unlink "$k" > /dev/null; done
rc unlink dvc:inbox dvc:idx:submitted > /dev/null
BEFORE=$(used) KEYS0=$(rc dbsize)

say "submitting $N dossiers of $BODY bytes through nginx ($C connections, Idempotency-Key: $IDEM)"
t0=$(date +%s.%N)
load env BODIES="$BODIES" NBODIES="$NAG" COUNT="$N" IDEM="$IDEM" \
    wrk -t1 -c"$C" -d"$DUR" -s "$HERE/post.lua" "http://127.0.0.1:$DVC_PORT" > "$RES/wrk.txt"
t1=$(date +%s.%N)
grep RESULT "$RES/wrk.txt"
D=$(rc zcard dvc:idx:submitted)
[ "$D" = "$(rc xlen dvc:inbox)" ] || { say "inbox and index disagree" >&2; exit 1; }
grep -q 'non2xx=0 ' "$RES/wrk.txt" || { say "some submissions were refused: $(cat "$RES/wrk.txt")" >&2; exit 1; }
AFTER=$(used)
say "$D dossiers recorded in $(echo "$t1 - $t0" | bc) s"

# MEMORY USAGE of each kind of key, per dossier (SAMPLES 0: every element)
avg_usage() {   # avg_usage KEY...: the mean MEMORY USAGE of the keys
    local k t=0 n=0
    for k in "$@"; do t=$((t + $(rc memory usage "$k" samples 0))); n=$((n + 1)); done
    echo $((t / (n ? n : 1)))
}
mapfile -t SAMPLE < <(rc zrandmember dvc:idx:submitted 200 | sed 's/^/dvc:d:/')
mapfile -t IDEMS < <(rc --scan --pattern 'dvc:idem:*' | head -200)
HASH=$(avg_usage "${SAMPLE[@]}")
IDEMB=0; [ "$IDEM" != 1 ] || IDEMB=$(avg_usage "${IDEMS[@]}")
INBOX=$(( $(rc memory usage dvc:inbox samples 0) / D ))
IDX=$(( $(rc memory usage dvc:idx:submitted samples 0) / D ))
ENC=$(rc object encoding "${SAMPLE[0]}")
FIELDS=$(rc hlen "${SAMPLE[0]}")
VALUES=$(rc --raw hvals "${SAMPLE[0]}" | wc -c)

# the back-end acknowledges and trims; a day later the idempotency records are
# gone (EX 86400: removed here rather than waited for)
python3 "$HERE/ack.py" "$REDIS_PORT" > "$RES/ack.txt"
ACKED=$(used)
for k in $(rc --scan --pattern 'dvc:idem:*'); do echo "unlink $k"; done | rc > /dev/null
LATER=$(used)

per() { echo $(( ($1 - BEFORE) / D )); }
{
    echo "dossiers: $D, body: $BODY bytes, redis $(redis-server --version | grep -o 'v=[0-9.]*'), REDIS_CONF=${REDIS_CONF:-none}"
    echo "used_memory before: $BEFORE, after: $AFTER ($(rc dbsize) keys, $KEYS0 before)"
    echo "per dossier, just submitted: $(per "$AFTER") bytes, besides the body: $(( $(per "$AFTER") - BODY ))"
    echo "  MEMORY USAGE per dossier: hash dvc:d: $HASH ($ENC, $FIELDS fields, $VALUES bytes of values),"
    echo "    inbox entry $INBOX (body included), index $IDX, idempotency record $IDEMB"
    echo "per dossier, inbox acknowledged and trimmed ($(cat "$RES/ack.txt")): $(per "$ACKED") bytes"
    echo "per dossier, idempotency records expired too: $(per "$LATER") bytes"
    echo "a year of a 100,000-dossier province (what stays): $(awk -v b="$(per "$LATER")" 'BEGIN { printf "%.3f GB", b * 100000 / 1e9 }')"
} | tee "$RES/summary.txt"
rc --raw hgetall "${SAMPLE[0]}" > "$RES/sample-hash.txt"
say "results in $RES"
