"""Loads a `cnnc --report=html` page in headless chromium and checks it
against the text report of the same model: no console errors, one graph node
per layer (also in the per-layer table), the totals shown equal the text
report's, the page rendered within 2 s, and a screenshot that is not blank.

    check_html_report.py CHROMIUM PAGE.html TEXT_REPORT.txt WORKDIR
"""
import json
import os
import re
import struct
import subprocess
import sys
import zlib

chromium, page, text_path, work = sys.argv[1:5]
url = "file://" + os.path.abspath(page)
flags = ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars"]
problems = []

run = subprocess.run([chromium, *flags, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
                     capture_output=True, text=True, timeout=120)
dom = run.stdout
console = [l for l in run.stderr.splitlines() if ":CONSOLE" in l]
if console:
    problems.append("console messages: " + " | ".join(console[:3]))

# The model's numbers, from the JSON the page embeds and from the text report.
data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                 open(page).read(), re.S).group(1)
report = json.loads(data)
nodes = report["nodes"]
text = open(text_path).read()
total = re.search(r"^total\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)", text, re.M).groups()

shown = len(re.findall(r'<g class="node[^"]*" data-node=', dom))
rows = len(re.findall(r'<tr data-row=', dom))
if not (shown == rows == len(nodes)):
    problems.append(f"{len(nodes)} layers, but {shown} graph nodes and {rows} table rows")
for label, value in (("parameters", total[0]), ("MACs", total[1]), ("FLOPs", total[2]),
                     ("activations", total[3])):
    m = re.search(rf'data-total="{label}"><b>([^<]*)</b>', dom)
    if not m or not m.group(1).startswith(value):
        problems.append(f"totals: {label} shows {m.group(1) if m else 'nothing'}, "
                        f"the text report {value}")
m = re.search(r'<tr class="total">(.*?)</tr>', dom)
cells = re.findall(r"<td>([^<]*)</td>", m.group(1)) if m else []
if [c for c in cells if c][:5] != ["total", *total]:
    problems.append(f"table totals {cells}, the text report {list(total)}")
if "profile" in report:
    want = f'{report["profile"]["total_ms"]:.3f} ms'
    m = re.search(r'data-total="measured[^"]*"><b>([^<]*)</b>', dom)
    if not m or not m.group(1).startswith(want):
        problems.append(f"measured total {m.group(1) if m else 'missing'}, the profile {want}")
    timed = len(re.findall(r'<g class="node[^"]*" data-node="[^"]*"[^>]*><rect[^>]*style="fill', dom))
    print(f"profile: {len(report['profile']['layers'])} kernels timed, {timed} nodes coloured")
    if "peak_gflops" in report:
        points = len(re.findall(r'class="roof-point"', dom))
        if points != timed or "% peak" not in dom:
            problems.append(f"roofline: {points} points for {timed} timed layers")
        print(f"roofline: {points} layers under a peak of {report['peak_gflops']:g} GFLOP/s")
plan = report.get("memory_plan", [])
if plan:
    bars = len(re.findall(r'class="buffer"[^>]*data-buffer=', dom))
    top = max(b["offset"] + b["bytes"] for b in plan)
    if bars != len(plan) or top > report["arena_bytes"] or "memory-peak" not in dom:
        problems.append(f"memory plan: {bars} bars for {len(plan)} buffers, top {top} of an "
                        f"arena of {report['arena_bytes']}, peak marked: {'memory-peak' in dom}")
    print(f"memory plan: {bars} buffers drawn in an arena of {report['arena_bytes']} bytes")
kernels = {}
for i, n in enumerate(nodes):
    for k in n.get("kernels", []):
        kernels.setdefault(k, []).append(i)
fused = sum(1 for members in kernels.values() if len(members) > 1)
outlined = len(set(re.findall(r'<rect class="fused-group" data-kernel="(\d+)"', dom)))
changes = sum(1 for n in nodes if n.get("layout_change"))
marked = len(re.findall(r'<text class="layout-change"', dom))
if outlined != fused or marked != changes:
    problems.append(f"{outlined} groups outlined for {fused} fused kernels, "
                    f"{marked} layout marks for {changes} layout changes")
if kernels:
    print(f"kernels: {len(kernels)}, {fused} fused groups outlined, {marked} layout changes marked")
ms = re.search(r'data-render-ms="([\d.]+)"', dom)
if not ms or float(ms.group(1)) > 2000:
    problems.append(f"rendered in {ms.group(1) if ms else '?'} ms (more than 2 s)")

# A screenshot: its pixels must not be all one colour.
png = os.path.join(work, "page.png")
subprocess.run([chromium, *flags, "--window-size=1280,900", f"--screenshot={png}", url],
               capture_output=True, timeout=120)
raw = open(png, "rb").read() if os.path.exists(png) else b""
idat, pos = b"", 8
while pos + 8 <= len(raw):
    (length,), kind = struct.unpack(">I", raw[pos:pos + 4]), raw[pos + 4:pos + 8]
    if kind == b"IDAT":
        idat += raw[pos + 8:pos + 8 + length]
    pos += 12 + length
pixels = zlib.decompress(idat) if idat else b""
distinct = len(set(pixels[i:i + 3] for i in range(0, min(len(pixels), 3_000_000), 3)))
if distinct < 16:
    problems.append(f"screenshot looks blank ({distinct} distinct colours)")

for p in problems:
    print("FAIL", p)
print(f"{'PASS' if not problems else 'FAIL'} {report['model']}: {len(nodes)} layers shown, "
      f"totals match, rendered in {ms.group(1) if ms else '?'} ms, screenshot "
      f"{distinct} colours")
sys.exit(1 if problems else 0)
