#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fb/check-call-graph.py - the call graph between the files of one
# module (fb/ in the tests): which file calls which other file's non-static
# functions, found from the definitions at column 0 and the calls in the
# comment-stripped source. Prints the edges and fails (exit 1) when files
# call each other in a circle (a strongly connected component of more than
# one file). Usage: check-call-graph.py DIR
import glob
import os
import re
import sys

d = sys.argv[1]
files = sorted(glob.glob(os.path.join(d, "*.c")))
defs = {}
for f in files:
    src = open(f).read()
    for m in re.finditer(r"^(?!static)[a-z][^\n;]*?\b([a-z_][a-z0-9_]*)\(([^;{]|\n)*?\)\s*\n\{", src, re.M):
        defs[m.group(1)] = os.path.basename(f)
edges = {}
for f in files:
    src = re.sub(r"/\*.*?\*/", "", open(f).read(), flags=re.S)
    me = os.path.basename(f)
    for name, where in defs.items():
        if where != me and re.search(r"\b" + name + r"\s*\(", src):
            edges.setdefault(me, {}).setdefault(where, []).append(name)
for a in sorted(edges):
    for b in sorted(edges[a]):
        print(f"{a} -> {b}: {', '.join(sorted(edges[a][b]))}")

# Tarjan's strongly connected components.
index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]


def visit(v):
    index[v] = low[v] = n[0]
    n[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, {}):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        comps.append(comp)


for v in sorted({os.path.basename(f) for f in files}):
    if v not in index:
        visit(v)
loops = [sorted(c) for c in comps if len(c) > 1]
if loops:
    print("FAIL: files calling each other in a circle:", loops)
    sys.exit(1)
print(f"ok: {len(files)} files, no call cycle")
