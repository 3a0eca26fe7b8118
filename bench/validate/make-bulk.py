#!/usr/bin/env python3
"""Writes the ~1 MB benchmark instance and its schema.

    make-bulk.py FIXTURES_DIR OUT_DIR [BYTES=1000000]

bulk.json: an array of dossiers (the fixture's, with the names, numbers and
file hashes varied so no two are equal) filling about BYTES; bulk-schema.json:
{"type":"array","items":{"$ref": <the procedure's $id>}} with the procedure
schema embedded under $defs, so ours and ajv compile the same single text."""
import copy
import hashlib
import json
import os
import sys

fixtures, out = sys.argv[1], sys.argv[2]
target = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
with open(os.path.join(fixtures, 'procedures', '1.000001.json')) as f:
    proc = json.load(f)
with open(os.path.join(fixtures, 'dossier-valid.json')) as f:
    base = json.load(f)

letters = 'aăâbcdđeêghiklmnoôơpqrstuưvxy'


def word(n):
    """A letters-only word for n (names may not hold digits)."""
    w = ''
    while True:
        w += letters[n % len(letters)]
        n //= len(letters)
        if n == 0:
            return w.capitalize()


items, size, i = [], 2, 0
while size < target:
    d = copy.deepcopy(base)
    d['applicant']['full_name'] = 'Nguyễn Văn ' + word(i)
    d['form']['child']['full_name'] = 'Nguyễn Ngọc Khánh ' + word(i)
    d['form']['copies'] = 1 + i % 5
    for j, doc in enumerate(d['documents']):
        doc['sha256'] = hashlib.sha256(b'%d/%d' % (i, j)).hexdigest()
        doc['size'] = 1000 + 37 * i + j
    text = json.dumps(d, ensure_ascii=False)
    items.append(text)
    size += len(text.encode()) + 2
    i += 1
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, 'bulk.json'), 'w') as f:
    f.write('[' + ', '.join(items) + ']')
schema = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    '$id': 'https://bench.invalid/bulk.json',
    'type': 'array',
    'items': {'$ref': proc['$id']},
    '$defs': {'procedure': proc},
}
with open(os.path.join(out, 'bulk-schema.json'), 'w') as f:
    json.dump(schema, f, ensure_ascii=False)
print('%s: %d dossiers, %d bytes' % (os.path.join(out, 'bulk.json'), i, size))
