#!/usr/bin/env python3
"""Medians of bench/procedures/run.sh's raw.txt: per N, nginx -t, the
workers' memory (the mean of the workers in a round, then the median over
the rounds), the increase over N=0 per procedure, and the two CLI commands
on the same directory."""
import statistics
import sys

FIELDS = ("rss", "pss", "pdirty", "sclean", "sdirty", "pclean")
rows = {}
for line in open(sys.argv[1]):
    parts = [p.split() for p in line.split("|")]
    head, cli = parts[0], parts[-1]
    rnd, n, t = head[0], int(head[1]), int(head[2])
    master = dict(zip(FIELDS, map(int, head[3:9])))
    workers = [dict(zip(FIELDS, map(int, p))) for p in parts[1:-1]]
    w = {f: sum(x[f] for x in workers) / len(workers) for f in FIELDS}
    r = rows.setdefault(n, {"t": [], "m": [], "w": [], "nw": len(workers), "cli": []})
    r["t"].append(t)
    r["m"].append(master)
    r["w"].append(w)
    if cli[0] != "-":
        r["cli"].append(list(map(int, cli)))

med = statistics.median
ns = sorted(rows)
base = rows[ns[0]]
print(f"medians of {len(base['t'])} rounds; memory in MB (per procedure: KB over N={ns[0]}); "
      f"{base['nw']} workers, their mean")
print(f"{'N':>6} {'nginx -t':>9} | {'worker RSS':>10} {'PSS':>7} {'priv.dirty':>10} {'shared':>7} | "
      f"{'per proc: RSS':>13} {'PSS':>6} {'priv.dirty':>10} | {'master RSS':>10} | "
      f"{'dvc procedures':>14} {'MB':>6} | {'check-schemas':>13} {'MB':>6}")
b = {f: med(x[f] for x in base["w"]) for f in FIELDS}
for n in ns:
    r = rows[n]
    w = {f: med(x[f] for x in r["w"]) for f in FIELDS}
    m = med(x["rss"] for x in r["m"])
    per = (lambda f: f"{(w[f] - b[f]) / n:>6.1f}") if n != ns[0] else (lambda f: f"{'':>6}")
    if r["cli"]:
        c = [med(x[i] for x in r["cli"]) for i in range(4)]
        cli = f"{c[0]:>11.0f} ms {c[1] / 1024:>6.1f} | {c[2]:>10.0f} ms {c[3] / 1024:>6.1f}"
    else:
        cli = f"{'-':>14} {'-':>6} | {'-':>13} {'-':>6}"
    print(f"{n:>6} {med(r['t']):>6.0f} ms | {w['rss'] / 1024:>10.1f} {w['pss'] / 1024:>7.1f} "
          f"{w['pdirty'] / 1024:>10.1f} {(w['sclean'] + w['sdirty']) / 1024:>7.1f} | "
          f"{per('rss'):>13} {per('pss')} {per('pdirty'):>10} | {m / 1024:>10.1f} | {cli}")
