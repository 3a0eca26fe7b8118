#!/usr/bin/env bash
# The validator against yajl's bare parse (ceiling) and ajv, in one run.
#   bench/validate/run.sh [SECONDS per mode, default 1]   (from the repo root,
#   or `make bench-validate`)
# REPS=5 interleaved rounds (C yajl+ours, the shared ceiling program, then
# node ajv, per input); the median docs/s and MB/s of each is printed with
# the ratios ours/ajv and ours/yajl.  PIN=N pins every process to CPU N.  Needs node and the peer's
# node_modules (PEER, default ../shared/bench/peers/node; when it has none,
# its package-lock is installed with `npm ci` in build/bench/peer-node).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-1}
reps=${REPS:-5}
slice=$(python3 -c "print(${1:-1} / 5)")
peer=${PEER:-../shared/bench/peers/node}
fixtures=${FIXTURES:-../shared/bench/fixtures}
out=build/bench/validate
make -s build/bench/validate_bench build/bench/yajl_parse_shared
if [[ ! -d $peer/node_modules ]]; then
    # ../shared is read-only: install the peer's locked packages in build/
    mkdir -p build/bench/peer-node
    install -m 644 "$peer/package.json" "$peer/package-lock.json" build/bench/peer-node/
    [[ -d build/bench/peer-node/node_modules ]] \
        || (cd build/bench/peer-node && npm ci --silent --no-audit --no-fund)
    peer=build/bench/peer-node
fi
python3 bench/validate/make-bulk.py "$fixtures" "$out" >/dev/null
pin=()
if [[ -n "${PIN:-}" ]]; then pin=(taskset -c "$PIN"); fi

inputs=("dossier $fixtures/procedures/1.000001.json $fixtures/dossier-valid.json"
        "bulk-1MB $out/bulk-schema.json $out/bulk.json")
log=$out/results.txt
: >"$log"
for ((r = 1; r <= reps; r++)); do
    for inp in "${inputs[@]}"; do
        read -r name schema doc <<<"$inp"
        # yajl and ours alternate in 5 slices of secs/5 each, so a change
        # of load on the shared machine hits both alike
        "${pin[@]}" build/bench/validate_bench "$schema" "$doc" "$slice" 5 \
            | sed "s/^RESULT /RESULT $name /" >>"$log"
        # the ceiling exactly as ../shared/bench/ceilings/yajl.sh builds it
        # (Debian's shared libyajl; its second mode, a tree, is not used)
        "${pin[@]}" build/bench/yajl_parse_shared "$doc" "$secs" \
            | sed -n "s/^RESULT yajl-events /RESULT $name yajl-so /p" >>"$log"
        "${pin[@]}" node bench/validate/ajv.mjs "$peer" "$schema" "$doc" "$secs" \
            | sed "s/^RESULT /RESULT $name /" >>"$log"
    done
done

python3 - "$log" "$reps" <<'PY'
import re, statistics, sys
rows, pairs, last = {}, {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'RESULT (\S+) (\S+) bytes=(\d+) docs_per_s=([\d.]+) MB_per_s=([\d.]+)', line)
    if m:
        rows.setdefault((m[1], m[2]), []).append((float(m[4]), float(m[5]), int(m[3])))
        # each ours slice right after its yajl slice: their ratio
        if m[2] == 'yajl':
            last[m[1]] = float(m[4])
        elif m[2] == 'ours' and m[1] in last:
            pairs.setdefault(m[1], []).append(last.pop(m[1]) / float(m[4]))
print('median of %s interleaved rounds (C: 5 alternating yajl/ours slices each)' % sys.argv[2])
print('%-9s %-7s %9s %12s %9s' % ('input', 'impl', 'bytes', 'docs/s', 'MB/s'))
for inp in ['dossier', 'bulk-1MB']:
    med = {}
    for impl in ['yajl', 'yajl-so', 'ours', 'ajv']:
        v = rows[(inp, impl)]
        med[impl] = statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)
        print('%-9s %-7s %9d %12.1f %9.2f' % (inp, impl, v[0][2], med[impl][0], med[impl][1]))
    print('%-9s ours/ajv = %.2f   ours/yajl-ceiling = %.2f (yajl/ours = %.2fx; '
          'median of %d paired slices %.2fx)' % (
        inp, med['ours'][0] / med['ajv'][0], med['ours'][0] / med['yajl'][0],
        med['yajl'][0] / med['ours'][0], len(pairs[inp]),
        statistics.median(pairs[inp])))
    print('%-9s yajl-so/ours = %.2fx (the shared ceiling program, '
          'Debian\'s libyajl.so)' % (inp, med['yajl-so'][0] / med['ours'][0]))
PY
