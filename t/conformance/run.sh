#!/usr/bin/env bash
# JSON Schema conformance: every case of every file of the official suite's
# draft2020-12 tests/ and tests/optional/ (formats included), through the
# same API a user of core/ calls.  Prints the pass count per file and
# "N passed, M failed"; fails on any case not listed in known-failures.txt
# (which says why for each, also in docs/validator.md), and unless the
# side-by-side table in docs/validator.md shows the same figures.
# http://localhost:1234/ is the suite's remotes/; the official 2020-12
# meta-schemas are built in (core/dvc_metaschema.h, checked here against
# the 2020-12 release by scripts/gen-metaschemas.py --check).
set -euo pipefail
cd "$(dirname "$0")/../.."
SUITE=${DVC_SCHEMA_SUITE:-../shared/conformance/json-schema-test-suite}
T=$SUITE/tests/draft2020-12
RUNNER=${BUILD:-build}/conformance-runner
[ -x "$RUNNER" ] || make -s "$RUNNER"

scripts/gen-metaschemas.py --check
shopt -s nullglob
files=("$T"/*.json "$T"/optional/*.json "$T"/optional/format/*.json)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$RUNNER" -r "$SUITE/remotes" -k t/conformance/known-failures.txt "${files[@]}" \
    | tee "$out" || rc=$?
[[ $rc == 0 ]] || exit "$rc"

# docs/validator.md's side-by-side table (t/conformance/compare --write)
# must show these very figures in its ngx_dvc column
python3 - "$out" docs/validator.md <<'PY'
import re, sys
got = {}
for line in open(sys.argv[1], encoding='utf-8'):
    m = re.match(r'^(\S+\.json): (\d+)/(\d+) passed$', line)
    if m:
        got[m.group(1)] = (int(m.group(3)), int(m.group(2)))
doc = {}
for line in open(sys.argv[2], encoding='utf-8'):
    m = re.match(r'^\| `(\S+\.json)` \| (\d+) \| (\d+) \| \d+ \| \d+ \|$', line)
    if m:
        doc[m.group(1)] = (int(m.group(2)), int(m.group(3)))
if doc != got:
    bad = sorted(set(doc) ^ set(got)) + sorted(f for f in set(doc) & set(got)
                                                if doc[f] != got[f])
    sys.exit('conformance: docs/validator.md\'s table is stale for %s '
             '(make conformance-table)' % ', '.join(bad))
print('conformance: docs/validator.md\'s table shows these %d files' % len(got))
PY
