#!/usr/bin/env bash
# The official JSON Schema draft 2020-12 meta-schemas for the conformance
# runner (defs.json and ref.json $ref https://json-schema.org/draft/2020-12/
# schema, whose meta/* vocabularies use $dynamicRef throughout).
#
#   t/conformance/metaschemas.sh BUILD_DIR    prints the folder to map
#
# Installs ajv (pinned by metaschemas/package-lock.json, test tooling only:
# nothing of it is run) into BUILD_DIR/conformance-meta with `npm ci`, then
# checks that each of the 8 documents it ships under
# dist/refs/json-schema-2020-12/ is the official one: the same JSON value as
# json-schema-org/json-schema-spec at tag draft-bhutton-json-schema-01
# (commit add836e7, the 2020-12 release; its files are unchanged since
# draft-bhutton-json-schema-00).  ajv reindents the files (2 spaces, not 4),
# so the check is the SHA-256 of the canonical form (sorted keys, no
# whitespace), computed from the spec repository's files.  Any difference
# stops the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: metaschemas.sh BUILD_DIR}/conformance-meta
dir=$dest/node_modules/ajv/dist/refs/json-schema-2020-12

if ! cmp -s "$here/metaschemas/package-lock.json" "$dest/package-lock.json" \
   || [[ ! -f $dir/schema.json ]]
then
    mkdir -p "$dest"
    cp "$here/metaschemas/package.json" "$here/metaschemas/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi

python3 - "$dir" <<'PY'
import hashlib, json, sys
official = {
    'schema.json':                'c1cacf82bea665da4dbaf58eb341b7af39420d4c9248a012aba3436ef1f802bb',
    'meta/applicator.json':       '46a5141432ac51fff467e6c2230c19cba0b07d6a492c0fb062a1a852c370eed7',
    'meta/content.json':          'adcc808be6d10c12a2fcdf3123ecc4b56b18df58fc86001f2740ddd10fdeedfd',
    'meta/core.json':             'fc882f9fe8343beacb4b47b4a65441a9bfe2a15f279c66ceb6ddd65da7586edd',
    'meta/format-annotation.json':'f35165bc538974536af0c491819172f68e32e304e677742e67fe12f008731e60',
    'meta/meta-data.json':        '5b3b96d59a4a2f16fc72a0dcaf758aea40aae866a61ac9d0d71dd9d6a8603115',
    'meta/unevaluated.json':      '61f01418e98cdbb0ad0fbfbd593780bdadb7fb745a7adff646d26c103bc6d166',
    'meta/validation.json':       '34fba27426a2fe175b459326a4013434775f06dd33d1209cab9028decae1e240',
}
for name, want in official.items():
    with open('%s/%s' % (sys.argv[1], name), encoding='utf-8') as f:
        doc = json.load(f)
    got = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(',', ':'),
                                    ensure_ascii=False).encode()).hexdigest()
    if got != want:
        sys.exit('metaschemas: %s is not the official 2020-12 document' % name)
PY
echo "$dir"
