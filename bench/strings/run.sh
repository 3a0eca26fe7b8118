#!/usr/bin/env bash
# Huge-body benchmark: the CPU an nginx worker spends on a dossier holding one
# long string (1, 2, 4, 10, 16 MB) or nested 100,000 deep, so that linear and
# quadratic parsing can be told apart by a ratio, not by a timed test.  See
# bench/strings/README.md.
#
# usage: bench/strings/run.sh   env: SIZES="1 2 4 10 16" ROUNDS=7 MB_PER_CELL=100
#        DEEP_REPS=200 PIN=0 RUN=/tmp/dvcbench-strings PORT_BASE=24000
#        SIZES: string lengths in MB (10^6 bytes); MB_PER_CELL: about how many
#        MB one cell posts per round (25 requests of 4 MB, 100 of 1 MB), so
#        every cell is long enough for /proc's 10 ms ticks; PIN=1: nginx on
#        core 1, Redis and curl on core 0
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIZES=${SIZES:-1 2 4 10 16} ROUNDS=${ROUNDS:-7} MB_PER_CELL=${MB_PER_CELL:-100}
DEEP_REPS=${DEEP_REPS:-200} PIN=${PIN:-0} PORT_BASE=${PORT_BASE:-24000}
RUN=${RUN:-/tmp/dvcbench-strings}
NAME=strings
source "$HERE/../lib.sh"                # bench_begin, pin, load, ticks, other_load, machine_lines
source "$HERE/../gateway.sh"            # gateway_start/stop, wait_port, stop_pidfile
MODULE=$ROOT/build/ngx_http_dvc_module.so
REDIS_PORT=$((PORT_BASE + 379)) DVC_PORT=$((PORT_BASE + 83))

[ -f "$MODULE" ] && [ -x "$ROOT/build/dvc" ] \
    || { echo "strings: run 'make bench-strings' (it builds what it needs)" >&2; exit 2; }
bench_begin "$NAME" nginx redis-server curl python3
mkdir -p "$RUN/bodies"

gateway_traps

{
    machine_lines
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')"
    echo "SIZES=$SIZES ROUNDS=$ROUNDS MB_PER_CELL=$MB_PER_CELL DEEP_REPS=$DEEP_REPS PIN=$PIN"
    echo "others' load before the run: $(other_load) % of one core"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"

# ------------------------------------------------------------------ bodies
# a dossier of procedure 1.001612 whose note is N MB of 'a' (over 1 MiB:
# 400 limit_string once the string ends, so the whole string is scanned), and
# arrays 100,000 deep in one (400 limit_depth at depth 64)
python3 - "$RUN/bodies" $SIZES << 'PY'
import sys
out, sizes = sys.argv[1], sys.argv[2:]
for mb in sizes:
    with open(f"{out}/s{mb}.json", "w") as f:
        f.write('{"procedure":"1.001612","note":"' + "a" * (int(mb) * 10**6) + '"}')
with open(f"{out}/deep.json", "w") as f:
    f.write('{"procedure":"1.001612","x":' + "[" * 100000 + "]" * 100000 + "}")
PY

# ------------------------------------------------------------------ start
gateway_start

URL="http://127.0.0.1:$DVC_PORT/dvc/v1/dossiers"
HZ=$(getconf CLK_TCK)
NGX=$(pgrep -P "$(cat "$R/nginx.pid")")
# minor page faults of the worker so far: fresh memory it touched
minflt() { awk '{ sub(/^.*\) /, ""); print $8 }' "/proc/$1/stat"; }

# ------------------------------------------------------------------ check
# the answer each body must get before anything is measured
expect() { case $1 in deep) echo limit_depth ;; 1) echo validation_failed ;; *) echo limit_string ;; esac; }
CELLS="$SIZES deep"
for cell in $CELLS; do
    f=$RUN/bodies/$([ "$cell" = deep ] && echo deep || echo "s$cell").json
    got=$(load curl -s -m 120 -H 'Content-Type: application/json' --data-binary "@$f" "$URL" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin).get("error"))')
    want=$(expect "$cell")
    [ "$got" = "$want" ] || { say "CHECK FAILED: $cell answered $got, not $want" >&2; exit 1; }
    say "check: $cell -> $got"
done

# ------------------------------------------------------------------ measure
# one cell: REPS posts of one body over one keep-alive curl (120 s per request:
# a hang guard), the worker's CPU ticks and the wall time around them
cell_run() {
    local cell=$1 f reps args=() k0 k1 t0 t1 m0 m1 codes
    if [ "$cell" = deep ]; then
        f=$RUN/bodies/deep.json reps=$DEEP_REPS
    else
        f=$RUN/bodies/s$cell.json reps=$(( (MB_PER_CELL + cell - 1) / cell ))
    fi
    for _ in $(seq "$reps"); do args+=(-o /dev/null "$URL"); done
    m0=$(minflt "$NGX") k0=$(ticks "$NGX") t0=$(date +%s%N)
    codes=$(load curl -s -m 120 -w '%{http_code}\n' -H 'Content-Type: application/json' \
            --data-binary "@$f" "${args[@]}" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
    t1=$(date +%s%N) k1=$(ticks "$NGX") m1=$(minflt "$NGX")
    [[ $codes == " $reps 400 " || ( $cell == 1 && $codes == " $reps 422 " ) ]] \
        || { say "cell $cell: answers $codes, expected $reps of one status" >&2; exit 1; }
    echo "$cell $reps $((k1 - k0)) $(( (t1 - t0) / 1000 )) $((m1 - m0))"
}

say "$ROUNDS rounds, cells interleaved (order rotated each round)"
: > "$RES/raw.txt"
set -- $CELLS
for round in $(seq "$ROUNDS"); do
    for cell in "$@"; do
        echo "$round $(cell_run "$cell")" | tee -a "$RES/raw.txt"
    done
    set -- "${@:2}" "$1"                   # rotate: no cell always first
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RES/machine.txt"

# ------------------------------------------------------------------ summary
# per cell: medians over the rounds of the CPU and wall time per request,
# the CPU per MB, and CPU(N MB) / CPU(first size): about N/first when linear
python3 - "$RES/raw.txt" "$HZ" $SIZES << 'PY' | tee "$RES/results.txt"
import statistics, sys
raw, hz, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = {}
for line in open(raw):
    _, cell, reps, ticks, wall_us, faults = line.split()
    rows.setdefault(cell, []).append((int(ticks) / hz * 1e3 / int(reps), int(wall_us) / 1e3 / int(reps),
                                      int(faults) / int(reps)))
base = statistics.median(r[0] for r in rows[sizes[0]])
print(f"{'body':<22} {'CPU ms/req':>10} {'wall ms/req':>11} {'CPU ms/MB':>9} {'CPU ratio':>9} {'size ratio':>10} {'faults/req':>10}  (medians of {len(rows[sizes[0]])} rounds)")
for cell in sizes + ["deep"]:
    cpu = statistics.median(r[0] for r in rows[cell])
    wall = statistics.median(r[1] for r in rows[cell])
    faults = statistics.median(r[2] for r in rows[cell])
    if cell == "deep":
        print(f"{'nesting 100,000 deep':<22} {cpu:>10.2f} {wall:>11.2f} {'':>9} {'':>9} {'':>10} {faults:>10.0f}  (0.2 MB body)")
    else:
        print(f"{cell + ' MB string':<22} {cpu:>10.2f} {wall:>11.2f} {cpu / int(cell):>9.2f} "
              f"{cpu / base:>9.2f} {int(cell) / int(sizes[0]):>10.2f} {faults:>10.0f}")
PY
say "results in $RES"
