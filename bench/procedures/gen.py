#!/usr/bin/env python3
"""N realistic procedure schemas for `dvc_schemas`, from the shapes of
schemas/*.json: bench/procedures/README.md.

usage: gen.py N OUTDIR [SCHEMAS]     (SCHEMAS: the checkout's schemas/)

Procedure i takes template i % 5 of SCHEMAS/*.json (birth registration, a
household business, ...) and makes it its own: a distinct national code
(D.DDDDDD, from 3.000000 up: no clash with the real ones), $id, title,
x-dvc (code, name, agency, sector, fee, processing days), the const of
"procedure", and its own form: every member of "form" renamed with the
procedure's suffix, its bounds (minLength, maxLength, maximum, maxItems)
moved by a few units, and one to three extra fields (a string with a
pattern of its own, an enum, an integer), so no two compiled forms are
the same, as in a province's real list.  The $refs into common/ stay:
SCHEMAS/common/ is copied beside them, shared as in production.  The
output is deterministic (seeded by N).
"""
import copy
import json
import os
import random
import shutil
import sys


def bump(node, rnd):
    """Moves the numeric bounds under node by a few units, in place."""
    if isinstance(node, dict):
        for k, v in list(node.items()):
            if k in ("maxLength", "maxItems", "maximum") and isinstance(v, int) and v > 10:
                node[k] = v + rnd.randint(0, 9)
            elif k == "minLength" and isinstance(v, int) and v > 1:
                node[k] = v + rnd.randint(0, 1)
            else:
                bump(v, rnd)
    elif isinstance(node, list):
        for v in node:
            bump(v, rnd)


def extra_fields(rnd, i):
    """One to three fields of the procedure's own."""
    out = {}
    for j in range(rnd.randint(1, 3)):
        kind = rnd.choice(("pattern", "enum", "int"))
        if kind == "pattern":
            out[f"so_giay_to_{i}_{j}"] = {
                "type": "string",
                "pattern": "^[A-Z]{%d}[0-9]{%d,%d}$" % (rnd.randint(1, 3), rnd.randint(4, 6), rnd.randint(7, 9)),
                "description": "Số hiệu giấy tờ theo mẫu của thủ tục",
            }
        elif kind == "enum":
            out[f"hinh_thuc_{i}_{j}"] = {
                "enum": [f"hinh_thuc_{k}" for k in range(rnd.randint(2, 6))],
            }
        else:
            out[f"so_luong_{i}_{j}"] = {
                "type": "integer", "minimum": 0, "maximum": rnd.randint(10, 1000),
            }
    return out


def make(tpl, i, rnd):
    s = copy.deepcopy(tpl)
    code = "%d.%06d" % (3 + i // 1000000, i % 1000000)
    suffix = f"_{i}"
    s["$id"] = f"https://dvc.example.gov.vn/procedures/{code}.json"
    s["title"] = f"{tpl['title']} (thủ tục {code})"
    x = s["x-dvc"]
    x["code"] = code
    x["name"] = f"{x['name']} (thủ tục {code})"
    x["agency"] = "000.%02d.%02d.H%02d" % (rnd.randint(0, 99), rnd.randint(0, 99), rnd.randint(1, 99))
    x["fee"] = rnd.choice((0, 20000, 50000, 100000, 200000))
    x["processing"] = {"days": rnd.randint(1, 20)}
    s["properties"]["procedure"] = {"const": code}
    form = s["properties"].get("form")
    if isinstance(form, dict) and isinstance(form.get("properties"), dict):
        props = {k + suffix: v for k, v in form["properties"].items()}
        bump(props, rnd)
        props.update(extra_fields(rnd, i))
        form["properties"] = props
        if "required" in form:
            form["required"] = [k + suffix for k in form["required"]]
        # dependentRequired and the like name form members too
        for kw in ("dependentRequired",):
            if kw in form:
                form[kw] = {k + suffix: [n + suffix for n in v] for k, v in form[kw].items()}
    return code, s


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), sys.argv[2]
    src = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "..", "schemas")
    names = sorted(f for f in os.listdir(src) if f.endswith(".json"))
    tpls = [json.load(open(os.path.join(src, f), encoding="utf-8")) for f in names]
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    shutil.copytree(os.path.join(src, "common"), os.path.join(out, "common"))
    rnd = random.Random(n)
    for i in range(n):
        code, s = make(tpls[i % len(tpls)], i, rnd)
        with open(os.path.join(out, code + ".json"), "w", encoding="utf-8") as f:
            json.dump(s, f, ensure_ascii=False, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
