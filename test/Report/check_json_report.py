"""Checks `cnnc --report=json` against the text report of the same model:
one JSON node per table row (same names, ops, shapes and costs), totals equal
to the sums over the nodes and to the table's totals, and every input of a
node an earlier node or a model input (the edges of a DAG in graph order)."""
import json
import re
import sys

text_path, json_path = sys.argv[1], sys.argv[2]
r = json.load(open(json_path))
lines = open(text_path).read().splitlines()
header = next(i for i, l in enumerate(lines) if l.startswith("node "))
rows = []
for l in lines[header + 1:]:
    if l.startswith("total"):
        total = [int(x.replace(",", "")) for x in l.split()[1:]]
        break
    rows.append(l.split())
nodes = r["nodes"]
assert r["format"] == "cnnc-report" and r["version"] == 1, r["format"]
assert len(nodes) == len(rows), (len(nodes), len(rows))
num = lambda s: int(s.replace(",", ""))  # noqa: E731
for n, row in zip(nodes, rows):
    shape = "x".join(map(str, n["shape"]))
    assert [n["name"], n["op"], shape] == row[:3], (n, row)
    assert [n["params"], n["macs"], n["flops"], n["activation_bytes"]] == \
        [num(x) for x in row[3:7]], (n, row)
t = r["totals"]
for key in ("params", "macs", "flops", "activation_bytes"):
    assert t[key] == sum(n[key] for n in nodes), key
assert [t["params"], t["macs"], t["flops"], t["activation_bytes"]] == total, (t, total)
peak = next(l for l in lines if l.startswith("peak live:"))
assert t["peak_live_bytes"] == num(re.search(r"([\d,]+) bytes", peak).group(1))
seen, edges = set(), 0
inputs = set()
for n in nodes:
    for i in n["inputs"]:
        if i not in seen:
            inputs.add(i)  # a model input: never produced by a node
        edges += 1
    seen.add(n["name"])
assert not (inputs & seen), inputs & seen
print(f"{r['model']}: {len(nodes)} nodes, {edges} edges, model inputs {sorted(inputs)}, "
      f"totals match the text report")
