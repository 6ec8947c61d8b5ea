"""Layout variations of the three statistics tables (tests/variants.py), read to exactly the values and the
`cells` lists the contract (docs/report-json.md) expects.

The variants change one thing at a time from a clean baseline (blank styles, labels, structure, presentation,
pictures), plus a few combinations, over HTML, DOCX and the four plain-text layouts (a few hundred), a handful
of LibreOffice PDFs (cached by the DOCX's sha256 under $NIANBAO_VARIANTS_CACHE, default /tmp/nianbao-variants)
and a handful of pictures (OCR, 10–20 s each).

Variants the extractor cannot read yet are listed in KNOWN by cause and marked xfail(strict=True): a fix makes
them XPASS, which fails the run until the entry is removed. `benchmarks/variants.py` runs thousands.
"""
from __future__ import annotations

import pytest

from extract import extract_report
from tests import variants as V

REASONS: dict[str, str] = {}  # cause → what the extractor gets wrong, for the variants KNOWN lists under it

KNOWN: dict[str, list[str]] = {}  # cause → variant names, as measured against the extractor of this commit

_CAUSES: dict[str, list[str]] = {}
for _cause, _names in KNOWN.items():
    for _name in _names:
        _CAUSES.setdefault(_name, []).append(_cause)

CASES = V.suite()


def _param(variant: V.Variant):
    causes = _CAUSES.get(variant.name)
    marks = [pytest.mark.xfail(strict=True, reason="; ".join(REASONS[c] for c in causes))] if causes else []
    return pytest.param(variant, id=variant.name, marks=marks)


@pytest.mark.parametrize("variant", [_param(v) for v in CASES])
def test_variant_reads_to_the_contract(variant, tmp_path):
    data, suffix, want, axis, fmt = variant
    path = tmp_path / f"{axis}-{fmt}{suffix}"
    path.write_bytes(data)
    report = extract_report(str(path), with_text=False)
    good, total, diffs = V.compare(report, want)
    assert not diffs, f"{good}/{total} values exact\n" + "\n".join(diffs[:25])


def test_known_failures_name_variants_of_the_suite():
    names = {v.name for v in CASES}
    assert not set(_CAUSES) - names, "stale KNOWN entries"
    assert {c for causes in _CAUSES.values() for c in causes} <= set(REASONS)


def test_the_suite_covers_every_axis_and_format():
    seen = {(v.axis, v.format) for v in CASES}
    for axis in V.AXES:  # column widths, fonts and alignment have no plain-text form
        formats = {"html", "docx"} if axis in ("widths", "fonts", "align") else set(V.TEXT_FORMATS)
        assert {f for a, f in seen if a == axis} >= formats, axis
    assert {f for _, f in seen} == set(V.FORMATS)
    assert {a for a, f in seen if f in V.PICTURE_FORMATS} >= {"baseline", "dpi", "skew"}
    assert len([v for v in CASES if v.format in V.TEXT_FORMATS]) >= 300


@pytest.mark.parametrize("gold", V.golds(3), ids=lambda g: g.name)
def test_golds_obey_every_equation(gold):
    V.check_gold(gold)
    values = [v for row in gold.tables["applications"].values() for v in row.values()]
    assert len(gold.tables["applications"]) == len(V.ROW_CODES[gold.format])
    if gold.profile in ("typical", "large"):
        nonzero = [v for v in values if v]
        assert len(set(nonzero)) > 0.6 * len(nonzero), "nonzero values should be mostly distinct"
    if gold.profile == "large":
        assert max(values) >= 1000


def test_expected_follows_the_solver_and_the_contract():
    """Zeros printed as dashes: only what the printed numbers force is inferred, the rest blank; a clean
    baseline lists nothing."""
    g = V.gold("2021", "sparse", 0)
    assert V.expected(g, V.Layout())["cells"] == {"inferred": [], "blank": [], "unreadable": []}
    want = V.expected(g, V.Layout(zeros="-"))
    zeros = [p for p, v in V._flat(g.tables).items() if v == 0]
    assert sorted(want["cells"]["inferred"] + want["cells"]["blank"]) == sorted(zeros)
    assert all(V._flat({t: want[t] for t in V.TABLES})[p] is None for p in want["cells"]["blank"])
    # one （六） row for three: the three are blank unless the one is 0
    swapped = V.expected(V.gold("2021", "typical", 0), V.Layout(other_rows="swapped"))
    row = V.gold("2021", "typical", 0).other_parts["3.6"]
    for column, value in row.items():
        path = f"applications.3.6.1.{column}"
        assert (path in swapped["cells"]["inferred"]) == (value == 0)
        assert (path in swapped["cells"]["blank"]) == (value != 0)
    # three for the 2019 format's one: the one is their sum, inferred
    g = V.gold("2019", "typical", 0)
    three = V.expected(g, V.Layout(other_rows="swapped"))
    assert three["applications"]["3.6"] == g.tables["applications"]["3.6"]
    assert [p for p in three["cells"]["inferred"] if ".3.6." in p] == sorted(
        (f"applications.3.6.{a}" for a in V.APPLICANTS), key=V._order)


@pytest.mark.parametrize("fmt", ["html", "docx", "tsv", "lines", "md", "paste"])
def test_variants_are_deterministic(fmt):
    layout = V.Layout(zeros="—", split=("applications", "3.4.2", True), wrap=(("3.3.2", 0.5, "below"),))
    g = V.gold("2019", "typical", 1)
    assert V.render(g, layout, fmt) == V.render(V.make_gold("2019", "typical", 1), layout, fmt)
    assert [v.name for v in V.sample(50, seed=3)] == [v.name for v in V.sample(50, seed=3)]
