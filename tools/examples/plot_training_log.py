#!/usr/bin/env python3
"""Draws cnnc-example-train's log (--log FILE.csv or FILE.json) as an SVG:
loss and test accuracy per epoch, side by side. Standard library only.

    tools/examples/plot_training_log.py train.csv -o train.svg
"""
import argparse
import csv
import json
import sys


def read_log(path):
    """[{epoch, loss, test_accuracy, ...}] from a CSV or JSON-lines log."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(text.splitlines())]
    if not rows or any("epoch" not in r or "loss" not in r or "test_accuracy" not in r
                       for r in rows):
        raise ValueError(f"{path}: not a cnnc-example-train log (needs epoch, loss, "
                         "test_accuracy per row)")
    return rows


def panel(x0, title, xs, ys, unit, width=360, height=240):
    """One line chart as SVG elements, its plot area at x0."""
    left, top, w, h = x0 + 50, 30, width - 70, height - 70
    lo, hi = min(ys), max(ys)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    xmin, xmax = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    px = lambda x: left + (x - xmin) / (xmax - xmin) * w  # noqa: E731
    py = lambda y: top + h - (y - lo) / (hi - lo) * h  # noqa: E731
    out = [f'<text x="{x0 + width / 2}" y="18" text-anchor="middle" font-weight="bold">'
           f'{title}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{v:.3g}{unit}</text>')
    for x in sorted(set(xs)):
        out.append(f'<text x="{px(x):.1f}" y="{top + h + 16}" text-anchor="middle" '
                   f'font-size="11">{int(x)}</text>')
    out.append(f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle" '
               'font-size="12">epoch</text>')
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
    out.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for x, y in zip(xs, ys):
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#1f77b4"/>')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("-o", "--output", required=True, help="the SVG to write")
    a = ap.parse_args()
    try:
        rows = read_log(a.log)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    xs = [float(r["epoch"]) for r in rows]
    body = (panel(0, "training loss", xs, [float(r["loss"]) for r in rows], "") +
            panel(380, "test accuracy", xs, [float(r["test_accuracy"]) for r in rows], "%"))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="740" height="240" '
           'font-family="sans-serif">\n' + "\n".join(body) + "\n</svg>\n")
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"wrote {a.output}: {len(rows)} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
