#!/usr/bin/env python3
"""Cycles between files and long functions (issue 13), from the sources alone.

    scripts/shape-check.py [--max-lines N] [--strict] [DIR...]

`make test-unit` runs it with --strict: a cycle or a long function fails
it (exit 1); without --strict long functions are only listed.

For each DIR (default core and ngx_dvc_module), Universal Ctags lists every
function with its first and last line and whether it is static.  A file
"calls" another when it names, outside comments and strings, a non-static
function defined in the other (a call or a function pointer: both tie the
files together); a header's declarations are not calls, so only .c files
are read for names, and a header's own `#include`s are checked apart (a
cycle of headers is printed the same way).  Prints
each group of files that reach each other (a strongly connected component of
more than one file) and every function longer than --max-lines (default 120,
counted from the line of its name to its closing brace).  Exit 1 when there
is a cycle; --strict: also when there is a long function.
"""
import json, os, re, subprocess, sys

def ctags(paths):
    # Universal Ctags (Debian's universal-ctags): JSON output, end lines
    out = subprocess.run(["ctags", "--output-format=json", "--fields=+nfeK",
                          "--c-kinds=f", "-f", "-"] + paths,
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]

STRIP = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)"', re.M)
IDENT = re.compile(r'[A-Za-z_]\w*')

def unit(path):
    base = os.path.basename(path)
    return base[:-2] + ".c" if base.endswith(".h") else base

def scc(nodes, edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index: visit(v)
    return out

def check(d, max_lines):
    srcs = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".c", ".h")))
    tags = ctags([s for s in srcs if s.endswith(".c")])
    owner = {}
    long_fns = []
    for t in tags:
        if t.get("kind") != "function":
            continue
        if not t.get("file"):
            owner.setdefault(t["name"], unit(t["path"]))
        size = t.get("end", t["line"]) - t["line"] + 1
        if size > max_lines:
            long_fns.append((size, t["path"], t["name"]))
    edges, nodes = {}, set()
    for s in srcs:
        if s.endswith(".h"):
            continue
        u = unit(s)
        nodes.add(u)
        text = STRIP.sub(" ", open(s, encoding="utf-8", errors="replace").read())
        for name in set(IDENT.findall(text)):
            o = owner.get(name)
            if o and o != u:
                edges.setdefault(u, set()).add(o)
    nodes &= set(owner.values()) | set(edges)
    cycles = [c for c in scc(nodes, edges) if len(c) > 1]
    inc = {}
    for s in srcs:
        if s.endswith(".h"):
            for h in INCLUDE.findall(open(s, encoding="utf-8", errors="replace").read()):
                if os.path.exists(os.path.join(d, h)):
                    inc.setdefault(os.path.basename(s), set()).add(h)
    hdrs = {os.path.basename(s) for s in srcs if s.endswith(".h")}
    cycles += [c for c in scc(hdrs, inc) if len(c) > 1]
    return cycles, sorted(long_fns, reverse=True), edges

def main(argv):
    max_lines, strict, dirs = 120, False, []
    it = iter(argv)
    for a in it:
        if a == "--max-lines": max_lines = int(next(it))
        elif a == "--strict": strict = True
        else: dirs.append(a)
    bad = False
    for d in dirs or ["core", "ngx_dvc_module"]:
        cycles, long_fns, edges = check(d, max_lines)
        print("%s: %d file cycle(s), %d function(s) over %d lines"
              % (d, len(cycles), len(long_fns), max_lines))
        for c in cycles:
            print("  cycle of %d: %s" % (len(c), " ".join(c)))
        for size, path, name in long_fns:
            print("  %4d lines  %s %s()" % (size, path, name))
        bad |= bool(cycles or (strict and long_fns))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
