#!/usr/bin/env python3
"""Writes the fuzz targets' fixed schemas and seed corpora (fuzz/README.md).

    fuzz/make-seeds.py SUITE_DIR FIXTURES_DIR

Re-running it rewrites fuzz/schemas/validate/ and fuzz/corpus/*/ from the
JSON Schema Test Suite, the shipped calendar and the bench fixtures.  The
JWS seeds are made with build/dvc (sign) from throw-away keys; only the
public JWK Set is kept (fuzz/jws/jwks.json)."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
suite = os.path.join(sys.argv[1], 'tests', 'draft2020-12')
fixtures = sys.argv[2]


def put(target, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def dump(v):
    return json.dumps(v, ensure_ascii=False, separators=(',', ':'))


# validate: schema 0 is the real procedure, then one group of each suite file
# whose keywords keep state across events (the validator's hard parts).
picks = ['unevaluatedProperties', 'unevaluatedItems', 'uniqueItems', 'const',
         'enum', 'dynamicRef', 'contains', 'patternProperties', 'prefixItems',
         'dependentSchemas', 'oneOf', 'if-then-else', 'propertyNames',
         'maxContains', 'multipleOf', 'anchor', 'ref', 'format',
         'additionalProperties']
sdir = os.path.join(here, 'schemas', 'validate')
os.makedirs(sdir, exist_ok=True)
for f in os.listdir(sdir):
    os.unlink(os.path.join(sdir, f))
with open(os.path.join(fixtures, 'procedures', '1.000001.json'), 'rb') as f:
    proc = f.read()
with open(os.path.join(sdir, '00.json'), 'wb') as f:
    f.write(proc)
with open(os.path.join(fixtures, 'dossier-valid.json'), 'rb') as f:
    dossier = f.read()
put('validate', b'\x00' + dossier)
d = json.loads(dossier)
d['applicant']['id_number'] = '00108901234'
put('validate', b'\x00' + dump(d).encode())
d = json.loads(dossier)
del d['form']
d['extra'] = [1, 2.5e3, None, True, {"a": "\u00e0"}]
put('validate', b'\x00' + dump(d).encode())
# the dossier with its text decomposed (NFD), and with one of these in the
# applicant's name: an overlong, an encoded surrogate, a code point past
# U+10FFFF, an escape of a lone surrogate, an escaped pair (the validator's
# own strict checks)
put('validate', b'\x00' + unicodedata.normalize('NFD', dossier.decode()).encode())
name = json.loads(dossier)['applicant']['full_name'].encode()
for bad in (b'\xc0\xaf', b'\xed\xa0\x80', b'\xf4\x90\x80\x80',
            b'\\udc00', b'\\ud840\\udc00'):
    put('validate', b'\x00' + dossier.replace(name, name[:4] + bad + name[4:], 1))
n = 1
for name in picks:
    with open(os.path.join(suite, name + '.json')) as f:
        groups = json.load(f)
    # the group with the most tests: the richest schema of the file
    g = max(groups, key=lambda g: len(g['tests']))
    with open(os.path.join(sdir, '%02d.json' % n), 'w') as f:
        f.write(dump(g['schema']))
    for t in g['tests']:
        put('validate', bytes([n]) + dump(t['data']).encode())
    n += 1
print('validate: %d schemas' % n)

# schema: every group's schema of the suite's required files
for name in sorted(os.listdir(suite)):
    if not name.endswith('.json'):
        continue
    with open(os.path.join(suite, name)) as f:
        for g in json.load(f):
            put('schema', dump(g['schema']))
put('schema', proc)

# calendar: the shipped calendars
cdir = os.path.join(root, 'calendar')
for name in os.listdir(cdir):
    with open(os.path.join(cdir, name), 'rb') as f:
        put('calendar', f.read())

# scan: the fixture dossier, a few variants, some suite instances
put('scan', dossier)
for name in ['uniqueItems', 'unevaluatedProperties', 'const']:
    with open(os.path.join(suite, name + '.json')) as f:
        for g in json.load(f)[:3]:
            for t in g['tests']:
                put('scan', dump(t['data']))

# jws: tokens signed by each key type, checked against their JWK Set
dvc = os.path.join(root, 'build', 'dvc')
jdir = os.path.join(here, 'jws')
os.makedirs(jdir, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    keys = []
    for t in ['ed25519', 'p256', 'rsa']:
        k = os.path.join(tmp, t + '.pem')
        subprocess.run([dvc, 'keygen', '--type', t, '--out', k], check=True,
                       stdout=subprocess.DEVNULL)
        keys.append(k)
    jwks = subprocess.run([dvc, 'jwks'] + keys, check=True,
                          capture_output=True).stdout
    with open(os.path.join(jdir, 'jwks.json'), 'wb') as f:
        f.write(jwks)
    payloads = [dossier.decode(), '{"code":"000.00.01.H01-261122-0001"}', '{}']
    for k in keys:
        for p in payloads:
            for typ in [[], ['--typ', 'dvc-receipt+jwt']]:
                tok = subprocess.run([dvc, 'sign', k] + typ + ['-'], check=True,
                                     input=p.encode(),
                                     capture_output=True).stdout.strip()
                put('jws', tok)
print('done')
