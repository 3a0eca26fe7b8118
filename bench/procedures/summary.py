#!/usr/bin/env python3
"""Medians of bench/procedures/run.sh's raw.txt: per build and N, nginx -t
(wall and CPU), the workers' memory (the mean of the workers in a round,
then the median over the rounds), the increase over N=0 per procedure, and
the two CLI commands on the same directory; with two builds, new/base."""
import statistics
import sys

FIELDS = ("rss", "pss", "pdirty", "sclean", "sdirty", "pclean")
med = statistics.median
rows = {}
for line in open(sys.argv[1]):
    parts = [p.split() for p in line.split("|")]
    head, cli = parts[0], parts[-1]
    label, n, wall, cpu = head[1], int(head[2]), int(head[3]), int(head[4])
    master = dict(zip(FIELDS, map(int, head[5:11])))
    workers = [dict(zip(FIELDS, map(int, p))) for p in parts[1:-1]]
    w = {f: sum(x[f] for x in workers) / len(workers) for f in FIELDS}
    r = rows.setdefault((label, n), {"wall": [], "cpu": [], "m": [], "w": [], "nw": len(workers), "cli": []})
    r["wall"].append(wall)
    r["cpu"].append(cpu)
    r["m"].append(master)
    r["w"].append(w)
    if cli[0] != "-":
        r["cli"].append(list(map(int, cli)))

labels = sorted({k[0] for k in rows}, key=lambda x: x != "new")
ns = sorted({k[1] for k in rows})
some = rows[(labels[0], ns[0])]
print(f"medians of {len(some['wall'])} rounds; memory in MB, per procedure in KB over N={ns[0]}; "
      f"{some['nw']} workers, their mean")
hdr = (f"{'build':<5} {'N':>5} | {'nginx -t':>8} {'CPU':>6} | {'worker RSS':>10} {'PSS':>6} {'priv.dirty':>10} | "
       f"{'per proc: RSS':>13} {'PSS':>5} {'priv.dirty':>10} | {'master RSS':>10} | "
       f"{'dvc procedures':>14} {'MB':>5} | {'check-schemas':>13} {'MB':>5}")
print(hdr)
summ = {}
for label in labels:
    b = {f: med(x[f] for x in rows[(label, ns[0])]["w"]) for f in FIELDS}
    for n in ns:
        r = rows[(label, n)]
        w = {f: med(x[f] for x in r["w"]) for f in FIELDS}
        m = med(x["rss"] for x in r["m"])
        per = {f: (w[f] - b[f]) / n for f in FIELDS} if n != ns[0] else None
        summ[(label, n)] = (med(r["wall"]), med(r["cpu"]), w, per)
        pf = (lambda f: f"{per[f]:.1f}") if per else (lambda f: "")
        if r["cli"]:
            c = [med(x[i] for x in r["cli"]) for i in range(4)]
            cli = f"{c[0]:>11.0f} ms {c[1] / 1024:>5.1f} | {c[2]:>10.0f} ms {c[3] / 1024:>5.1f}"
        else:
            cli = f"{'-':>14} {'-':>5} | {'-':>13} {'-':>5}"
        print(f"{label:<5} {n:>5} | {med(r['wall']):>5.0f} ms {med(r['cpu']):>3.0f} ms | "
              f"{w['rss'] / 1024:>10.1f} {w['pss'] / 1024:>6.1f} {w['pdirty'] / 1024:>10.1f} | "
              f"{pf('rss'):>13} {pf('pss'):>5} {pf('pdirty'):>10} | {m / 1024:>10.1f} | {cli}")
if len(labels) == 2:
    n = ns[-1]
    a, z = summ[("new", n)], summ[("base", n)]
    print(f"new/base at N={n}: nginx -t wall {a[0] / z[0]:.2f}, CPU {a[1] / z[1]:.2f}; "
          f"per procedure RSS {a[3]['rss']:.1f} / {z[3]['rss']:.1f} KB = {a[3]['rss'] / z[3]['rss']:.2f}, "
          f"PSS {a[3]['pss'] / z[3]['pss']:.2f}")
