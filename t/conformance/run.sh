#!/usr/bin/env bash
# JSON Schema conformance: every case of every file of the official suite's
# draft2020-12 tests/ and tests/optional/ (formats included), through the
# same API a user of core/ calls.  Prints the pass count per file and
# "N passed, M failed"; fails on any case not listed in known-failures.txt
# (which says why for each, also in docs/validator.md).
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
exec "$RUNNER" -r "$SUITE/remotes" -k t/conformance/known-failures.txt "${files[@]}"
