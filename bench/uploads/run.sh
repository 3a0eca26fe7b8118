#!/usr/bin/env bash
# Uploads benchmark: ngx_dvc's POST /dvc/v1/uploads (stream to the temp
# file, SHA-256 and sniff on the way, rename into the store, one Redis EVAL)
# beside nginx's own DAV PUT of the same file into the same kind of place
# (the ceiling), in alternated rounds of one run, for 1 MB and 20 MB PDFs;
# then the same uploads through a real clamd (INSTREAM), reported apart;
# then a 100 MB upload against the worker's memory.  See README.md.
#
# usage: bench/uploads/run.sh   env: REPS=3 D=8s C=4 PIN=1 SIZES="1 20"
#        RUN=/tmp/dvcbench-uploads PORT_BASE=26000
#        PIN=1: nginx (and clamd) on core 1; wrk and Redis on core 0
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPS=${REPS:-3} D=${D:-8s} C=${C:-4} PIN=${PIN:-1} SIZES=${SIZES:-1 20}
PORT_BASE=${PORT_BASE:-26000}
RUN=${RUN:-/tmp/dvcbench-uploads}
MODULE=$ROOT/build/ngx_http_dvc_module.so
NAME=uploads
source "$HERE/../lib.sh"                # bench_begin, pin, load, ticks, other_load, machine_lines
source "$HERE/../gateway.sh"            # redis_start, stop_pidfile, wait_port
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83)) SCAN_PORT=$((PORT_BASE + 84))
CLAMD_PORT=$((PORT_BASE + 310))
HZ=$(getconf CLK_TCK)

[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] || { echo "uploads: run 'make' first" >&2; exit 2; }
bench_begin "$NAME" nginx redis-server wrk curl python3 clamd taskset

stop_all() {
    trap - EXIT INT TERM
    stop_pidfile "$RUN/plain/nginx.pid"
    stop_pidfile "$RUN/scan/nginx.pid"
    stop_pidfile "$RUN/clamd/clamd.pid"
    stop_pidfile "$RUN/redis/redis.pid"
}
stop_all > /dev/null 2>&1 || true
trap stop_all EXIT
trap 'echo; say interrupted; exit 130' INT TERM

# shellcheck disable=SC2153             # RES: set by bench_begin (lib.sh)
{
    machine_lines
    clamd --version
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "REPS=$REPS D=$D C=$C PIN=$PIN SIZES=$SIZES"
    echo "others' load before the run: $(other_load) % of one core"
} > "$RES/machine.txt"
cat "$RES/machine.txt"

# ---------------------------------------------------------------- files
for mb in $SIZES; do
    python3 - "$RUN/file-$mb.pdf" "$mb" <<'PY'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
body = os.urandom(mb * 1024 * 1024 - len(head) - len(tail))
open(path, "wb").write(head + body + tail)
PY
done

# ---------------------------------------------------------------- servers
redis_start
mkdir -p "$RUN/clamd/db"
printf 'DVC.Test.EICAR:0:*:%s\n' "$(printf 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | od -An -tx1 | tr -d ' \n')" \
    > "$RUN/clamd/db/dvc-test.ndb"
cat > "$RUN/clamd/clamd.conf" <<CONF
DatabaseDirectory $RUN/clamd/db
LocalSocket $RUN/clamd/clamd.sock
Foreground no
PidFile $RUN/clamd/clamd.pid
LogFile $RUN/clamd/clamd.log
User $(id -un)
StreamMaxLength 100M
MaxThreads 4
CONF
clamd -c "$RUN/clamd/clamd.conf"
for _ in $(seq 100); do [ -S "$RUN/clamd/clamd.sock" ] && break; sleep 0.1; done
pin 1 "$(cat "$RUN/clamd/clamd.pid")"

start_nginx() {                         # start_nginx DIR PORT CLAMD-LINE
    local d=$1
    mkdir -p "$d/documents" "$d/dav" "$d/body"
    sed -e "s|@MODULE@|$MODULE|; s|@RUN@|$d|g; s|@PORT@|$2|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@CLAMD@|$3|; s|@USER@|$([ "$(id -u)" = 0 ] && echo 'user root;')|" \
        "$HERE/nginx.conf.in" > "$d/nginx.conf"
    : > "$d/error.log"
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -t -q
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_port "$2"
    pin 1 "$(cat "$d/nginx.pid")"
}
start_nginx "$RUN/plain" "$DVC_PORT" ""
start_nginx "$RUN/scan" "$SCAN_PORT" "dvc_clamd unix:$RUN/clamd/clamd.sock; dvc_clamd_timeout 60s;"
worker() { pgrep -P "$(cat "$1/nginx.pid")" | head -1; }

# one round: wrk for D; prints "MB/s worker-ms/MB clamd-ms/MB requests"
round() {                               # round PORT DIR METHOD FILE MB
    local port=$1 dir=$2 method=$3 file=$4 mb=$5 w t0 t1 c0 c1 out n secs
    w=$(worker "$dir")
    t0=$(ticks "$w"); c0=$(ticks "$(cat "$RUN/clamd/clamd.pid")")
    out=$(BODY=$file METHOD=$method load wrk -t1 -c"$C" -d"$D" --timeout 60s -s "$HERE/body.lua" \
          "http://127.0.0.1:$port" 2>&1)
    t1=$(ticks "$w"); c1=$(ticks "$(cat "$RUN/clamd/clamd.pid")")
    n=$(echo "$out" | awk '/requests in/ { print $1 }')
    secs=$(echo "$out" | awk '/requests in/ { sub(/s,$/, "", $4); print $4 }')
    if echo "$out" | grep -q "Non-2xx"; then
        echo "$out" >&2
        say "round $method $mb MB: non-2xx answers" >&2
    fi
    awk -v n="$n" -v s="$secs" -v mb="$mb" -v dt=$((t1 - t0)) -v dc=$((c1 - c0)) -v hz="$HZ" \
        'BEGIN { m = n * mb; printf "%.1f %.2f %.2f %d\n", m / s, dt * 1000 / hz / m, dc * 1000 / hz / m, n }'
}

: > "$RES/raw.txt"
for mb in $SIZES; do
    f=$RUN/file-$mb.pdf
    # warm: the file is stored once, the later uploads find it (content-addressed)
    curl -s -o /dev/null -H 'Content-Type: application/pdf' --data-binary @"$f" \
        "http://127.0.0.1:$DVC_PORT/dvc/v1/uploads"
    for rep in $(seq "$REPS"); do
        echo "$mb dav $rep $(round "$DVC_PORT" "$RUN/plain" PUT "$f" "$mb")" | tee -a "$RES/raw.txt"
        echo "$mb dvc $rep $(round "$DVC_PORT" "$RUN/plain" POST "$f" "$mb")" | tee -a "$RES/raw.txt"
        echo "$mb dvc+clamd $rep $(round "$SCAN_PORT" "$RUN/scan" POST "$f" "$mb")" | tee -a "$RES/raw.txt"
    done
done

# ---------------------------------------------------------------- memory
# a 100 MB upload: the worker's peak RSS (VmHWM) before and after
python3 - "$RUN/file-100.pdf" <<'PY'
import os, sys
open(sys.argv[1], "wb").write(b"%PDF-1.7\n" + os.urandom(100 * 1024 * 1024 - 40) + b"\ntrailer\n<< >>\n%%EOF\n" + b"\n" * 9)
PY
stop_pidfile "$RUN/plain/nginx.pid"
start_nginx "$RUN/plain" "$DVC_PORT" ""
w=$(worker "$RUN/plain")
hwm0=$(awk '/VmHWM/ { print $2 }' "/proc/$w/status")
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/pdf' \
       -H 'Expect:' --data-binary @"$RUN/file-100.pdf" "http://127.0.0.1:$DVC_PORT/dvc/v1/uploads")
hwm1=$(awk '/VmHWM/ { print $2 }' "/proc/$w/status")
echo "memory: 100 MB upload answered $code; worker VmHWM $hwm0 kB before, $hwm1 kB after" \
    | tee "$RES/memory.txt"

# ---------------------------------------------------------------- summary
python3 - "$RES/raw.txt" <<'PY' | tee "$RES/summary.txt"
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    mb, kind, rep, mbs, wms, cms, n = line.split()
    rows.setdefault((int(mb), kind), []).append((float(mbs), float(wms), float(cms)))
print("| file | what | MB/s (median) | worker CPU ms/MB | clamd CPU ms/MB | vs DAV PUT |")
print("|---|---|---|---|---|---|")
for mb in sorted({k[0] for k in rows}):
    dav = st.median(r[0] for r in rows[(mb, "dav")])
    for kind in ("dav", "dvc", "dvc+clamd"):
        r = rows.get((mb, kind))
        if not r:
            continue
        m = st.median(x[0] for x in r)
        print("| %d MB | %s | %.0f | %.2f | %.2f | %.0f%% |" % (
            mb, {"dav": "nginx DAV PUT", "dvc": "ngx_dvc upload", "dvc+clamd": "ngx_dvc upload + clamd"}[kind],
            m, st.median(x[1] for x in r), st.median(x[2] for x in r), 100 * m / dav))
PY
say "results in $RES"
