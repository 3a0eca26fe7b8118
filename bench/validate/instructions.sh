#!/usr/bin/env bash
# Instructions per document (callgrind), yajl's bare parse and ours, on the
# two inputs of run.sh: steady where the shared machine's timings are not.
#   bench/validate/instructions.sh [COUNT, default 2000]
# Each figure is (Ir of COUNT documents - Ir of 0 documents) / COUNT, so
# loading and compiling the schema are left out; the 1 MB input uses COUNT/1000
# (at least 2) documents.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
fixtures=${FIXTURES:-../shared/bench/fixtures}
out=build/bench/validate
make -s build/bench/validate_bench
python3 bench/validate/make-bulk.py "$fixtures" "$out" >/dev/null

ir() {  # SCHEMA DOC COUNT MODE
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$4.$3" \
        build/bench/validate_bench "$1" "$2" "n$3" 1 "$4" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for inp in "dossier $fixtures/procedures/1.000001.json $fixtures/dossier-valid.json $n" \
           "bulk-1MB $out/bulk-schema.json $out/bulk.json $(( n / 1000 > 2 ? n / 1000 : 2 ))"; do
    read -r name schema doc count <<<"$inp"
    declare -A per=()
    for mode in yajl ours; do
        a=$(ir "$schema" "$doc" 0 "$mode")
        b=$(ir "$schema" "$doc" "$count" "$mode")
        per[$mode]=$(( (b - a) / count ))
        printf '%-9s %-5s %12d instructions/document\n' "$name" "$mode" "${per[$mode]}"
    done
    python3 -c "print('%-9s ours/yajl = %.2fx' % ('$name', ${per[ours]} / ${per[yajl]}))"
    unset per
done
