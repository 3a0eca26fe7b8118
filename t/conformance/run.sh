#!/usr/bin/env bash
# JSON Schema conformance: every case of the official suite's draft2020-12
# files, plus the optional files for what we implement (bignums, ECMA-262
# regexes, float overflow, non-BMP regexes, the formats of core/dvc_format.h).
# Prints the pass count per file and "N passed, M failed"; fails on any case
# not listed in known-failures.txt (which says why for each).
# http://localhost:1234/ is the suite's remotes/; https://json-schema.org/
# draft/2020-12/ the official meta-schemas, installed and checked by
# metaschemas.sh (npm, pinned; nothing is fetched at validation time).
set -euo pipefail
cd "$(dirname "$0")/../.."
SUITE=${DVC_SCHEMA_SUITE:-../shared/conformance/json-schema-test-suite}
T=$SUITE/tests/draft2020-12
RUNNER=build/conformance-runner
[ -x "$RUNNER" ] || make -s "$RUNNER"

meta=$(t/conformance/metaschemas.sh "${BUILD:-build}")

files=("$T"/*.json)
for f in bignum ecmascript-regex float-overflow non-bmp-regex; do
    files+=("$T/optional/$f.json")
done
for f in date date-time time duration email hostname ipv4 ipv6 uri \
         uri-reference uuid json-pointer regex unknown; do
    files+=("$T/optional/format/$f.json")
done
exec "$RUNNER" -r "$SUITE/remotes" -m "https://json-schema.org/draft/2020-12/=$meta" -k t/conformance/known-failures.txt "${files[@]}"
