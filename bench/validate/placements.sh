#!/usr/bin/env bash
# yajl's bare parse runs up to ~20% faster or slower depending on where its
# code lands in the binary (alignment of its lexer's loops), and the ratio
# ours/yajl moves with it.  This builds validate_bench with yajl shifted by
# 0, 16, .., 112 bytes (a pad linked before it), runs them interleaved on the
# 1 MB input (or INPUT=dossier) and prints, per placement, the medians and
# the median of the paired yajl/ours slices; then the range over placements.
#   bench/validate/placements.sh [ROUNDS, default 5]     (CLOCK=cpu: CPU time)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
fixtures=${FIXTURES:-../shared/bench/fixtures}
out=build/bench/validate
pads=(0 16 32 48 64 80 96 112)
for p in "${pads[@]}"; do
    make -s "build/bench/validate_bench_pad$p"
done
python3 bench/validate/make-bulk.py "$fixtures" "$out" >/dev/null
if [[ ${INPUT:-bulk} == dossier ]]; then
    schema=$fixtures/procedures/1.000001.json doc=$fixtures/dossier-valid.json
else
    schema=$out/bulk-schema.json doc=$out/bulk.json
fi
log=$out/placements.txt
: >"$log"
for ((r = 1; r <= rounds; r++)); do
    for p in "${pads[@]}"; do
        "build/bench/validate_bench_pad$p" "$schema" "$doc" 0.2 3 \
            | sed "s/^RESULT /RESULT pad$p /" >>"$log"
    done
done
python3 - "$log" "${pads[@]}" <<'PY'
import re, statistics, sys
rows, pairs, last = {}, {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'RESULT (\S+) (\S+) bytes=\d+ docs_per_s=([\d.]+)', line)
    if not m:
        continue
    pad, impl, v = m[1], m[2], float(m[3])
    rows.setdefault((pad, impl), []).append(v)
    if impl == 'yajl':
        last[pad] = v
    elif pad in last:
        pairs.setdefault(pad, []).append(last.pop(pad) / v)
meds = []
print('%-7s %10s %10s %14s %14s' % ('yajl at', 'yajl docs/s', 'ours docs/s', 'yajl/ours', 'paired median'))
for p in sys.argv[2:]:
    pad = 'pad' + p
    y, o = statistics.median(rows[(pad, 'yajl')]), statistics.median(rows[(pad, 'ours')])
    pm = statistics.median(pairs[pad])
    meds.append(pm)
    print('+%-6s %10.1f %10.1f %13.2fx %13.2fx' % (p, y, o, y / o, pm))
print('paired medians over %d placements: %.2fx to %.2fx (median %.2fx)' % (
    len(meds), min(meds), max(meds), statistics.median(meds)))
PY
