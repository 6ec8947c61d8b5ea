"""Layout variations read by the extractor: accuracy per axis and per format.

Draws seeded variants from tests/variants.py (each changes one thing from a clean baseline, or combines a few:
blank styles, labels, structure, presentation, pictures), reads each with `extract_report`, and compares every
value of the three tables, and the `cells` lists, with what the contract (docs/report-json.md) expects. By
default 2,000 text-based variants (HTML, DOCX, tab-separated text as a spreadsheet and as a browser copies it,
one cell per line, Markdown), 10 PDFs (LibreOffice, cached under $NIANBAO_VARIANTS_CACHE, default
/tmp/nianbao-variants) and 4 pictures (OCR, 10–40 s each).

Prints, per axis and per format: variants, variants read exactly (every value and the cells lists), and the
share of exact values; then the failing variants grouped by axis, each with its first difference.

    .venv/bin/python benchmarks/variants.py [--n 2000] [--pdf 10] [--pictures 4] [--seed 0] [--workers N]
                                            [--show 8]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract import extract_report  # noqa: E402
from extract.model import ExtractError  # noqa: E402
from tests import variants as V  # noqa: E402

_WORK = None


def _work_dir() -> Path:
    global _WORK
    if _WORK is None:
        _WORK = Path(tempfile.mkdtemp(prefix="nianbao-variants-bench-"))
    return _WORK


def run(variant: V.Variant) -> dict:
    """Render and read one variant; what the tables came out as against what the contract expects."""
    start = time.perf_counter()
    data, suffix, want, axis, fmt = variant
    rendered = time.perf_counter()
    path = _work_dir() / f"variant{suffix}"
    path.write_bytes(data)
    try:
        report = extract_report(str(path), with_text=False)
        good, total, diffs = V.compare(report, want)
    except ExtractError as e:
        good, total = 0, len(V._flat({t: want[t] for t in V.TABLES}))
        diffs = [f"ExtractError: {e}"]
    return {"name": variant.name, "axis": axis, "format": fmt, "good": good, "total": total, "diffs": diffs[:3],
            "render": rendered - start, "read": time.perf_counter() - rendered}


def table(title: str, groups: dict[str, list[dict]], order: list[str]) -> None:
    print(f"{title:16} {'variants':>9} {'exact':>7} {'exact %':>8} {'values %':>9} {'read s':>7}")
    for key in order:
        results = groups.get(key)
        if not results:
            continue
        exact = sum(not r["diffs"] for r in results)
        good = sum(r["good"] for r in results)
        total = sum(r["total"] for r in results)
        seconds = sum(r["read"] for r in results) / len(results)
        print(f"{key:16} {len(results):9d} {exact:7d} {100 * exact / len(results):7.1f}% "
              f"{100 * good / max(total, 1):8.2f}% {seconds:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="text-based variants (HTML, DOCX, plain text)")
    parser.add_argument("--pdf", type=int, default=10, help="PDF variants (LibreOffice, ~2 s each uncached)")
    parser.add_argument("--pictures", type=int, default=4, help="PNG/JPG variants (OCR, 10–40 s each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show", type=int, default=8, help="failing variants listed per axis (0: all)")
    args = parser.parse_args()

    variants = (V.sample(args.n, seed=args.seed, formats=V.TEXT_FORMATS)
                + V.sample(args.pdf, seed=f"{args.seed}/pdf", formats=("pdf",))
                + V.sample(args.pictures, seed=f"{args.seed}/pictures", formats=V.PICTURE_FORMATS))
    print(f"{len(variants)} variants (seed {args.seed}): {args.n} text-based, {args.pdf} PDF, "
          f"{args.pictures} pictures; {args.workers} workers")
    start = time.perf_counter()
    # the slow ones first, so that they do not finish alone at the end
    slow_first = sorted(variants, key=lambda v: v.format not in ("pdf", *V.PICTURE_FORMATS))
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(run, slow_first, chunksize=8))
    else:
        results = [run(v) for v in slow_first]
    elapsed = time.perf_counter() - start

    print("exact: variants whose every value and `cells` list is what the contract expects; values %: share of "
          "the tables' values exact; read s: seconds per variant to read")
    by_axis: dict[str, list[dict]] = defaultdict(list)
    by_format: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_axis[r["axis"]].append(r)
        by_format[r["format"]].append(r)
    print()
    table("axis", by_axis, [*V.AXES[:-1], "rows_break", *V.PICTURE_AXES[1:-1], "combined"])
    print()
    table("format", by_format, list(V.FORMATS))
    print()
    table("all", {"all": results}, ["all"])
    print(f"\n{elapsed:.0f} s in all")

    failing = [r for r in results if r["diffs"]]
    if not failing:
        return
    print(f"\nfailing variants by axis ({len(failing)}):")
    for axis in sorted({r["axis"] for r in failing}, key=lambda a: -sum(r["axis"] == a for r in failing)):
        rows = [r for r in failing if r["axis"] == axis]
        formats = ", ".join(f"{f} {sum(r['format'] == f for r in rows)}" for f in V.FORMATS
                            if any(r["format"] == f for r in rows))
        print(f"  {axis}: {len(rows)} ({formats})")
        for r in rows[: args.show or None]:
            print(f"    {r['name']}\n      {r['diffs'][0][:160]}")
        if args.show and len(rows) > args.show:
            print(f"    … {len(rows) - args.show} more")


if __name__ == "__main__":
    main()
