#!/usr/bin/env python3
"""Writes every case of the official suite's draft2020-12 files as plain
files, for tools that take a schema file and a document file (t/091).

    t/conformance/export.py SUITE OUTDIR

OUTDIR/G/schema.json is group G's schema, OUTDIR/G/T.json its case T's
document; OUTDIR/manifest.jsonl has one line per case: file (as the
runner names it, "optional/format/ipv4.json"), group, test (their
descriptions), valid, schema, data (paths), format (1 in
optional/format/, where format is asserted).  Numbers keep their text
exactly (bignums, 1.0) and members their order: nothing is re-rounded.
"""
import glob
import json
import os
import sys


class Num(str):
    pass


def dump(v):
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, Obj):
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + dump(x)
                              for k, x in v.pairs) + '}'
    if isinstance(v, list):
        return '[' + ','.join(dump(x) for x in v) + ']'
    return json.dumps(v, ensure_ascii=False)


class Obj:
    def __init__(self, pairs):
        self.pairs = pairs

    def get(self, k):
        for key, x in self.pairs:
            if key == k:
                return x
        return None


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=Obj, parse_float=Num,
                         parse_int=Num, parse_constant=Num)


def main():
    suite, out = sys.argv[1], sys.argv[2]
    t = os.path.join(suite, 'tests', 'draft2020-12')
    files = (sorted(glob.glob(os.path.join(t, '*.json')))
             + sorted(glob.glob(os.path.join(t, 'optional', '*.json')))
             + sorted(glob.glob(os.path.join(t, 'optional', 'format', '*.json'))))
    os.makedirs(out, exist_ok=True)
    n = 0
    with open(os.path.join(out, 'manifest.jsonl'), 'w', encoding='utf-8') as man:
        for path in files:
            name = os.path.relpath(path, t)
            for grp in load(path):
                d = os.path.join(out, str(n))
                os.makedirs(d, exist_ok=True)
                schema = os.path.join(d, 'schema.json')
                with open(schema, 'w', encoding='utf-8') as f:
                    f.write(dump(grp.get('schema')))
                for k, case in enumerate(grp.get('tests')):
                    data = os.path.join(d, '%d.json' % k)
                    with open(data, 'w', encoding='utf-8') as f:
                        f.write(dump(case.get('data')))
                    man.write(json.dumps({
                        'file': name, 'group': grp.get('description'),
                        'test': case.get('description'),
                        'valid': case.get('valid') is True,
                        'schema': schema, 'data': data,
                        'format': 1 if name.startswith('optional/format/') else 0,
                    }, ensure_ascii=False) + '\n')
                n += 1


main()
