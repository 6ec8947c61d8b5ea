"""Acceptance 1: the five seeds give exactly the values in seeds/gold."""
import json

import pytest

from extract import extract_report
from tests.conftest import SEEDS

GOLD = sorted((SEEDS / "gold").glob("*.json"))


@pytest.mark.parametrize("gold_path", GOLD, ids=[p.stem[:3] for p in GOLD])
def test_seed_matches_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    report = extract_report(str(SEEDS / f"{gold_path.stem}.txt"))
    for key, expected in gold.items():
        if key == "note":
            continue
        assert report[key] == expected, key
    assert report["is_annual_report"] is True


def test_seed_002_tables_are_pictures():
    report = extract_report(str(next(SEEDS.glob("002_*.txt"))))
    assert report["tables_as_images"] is True
    assert report["table_format"] is None
    assert report["applications"] is None and report["checks"] == []
    assert any("pictures" in w for w in report["warnings"])
    assert report["published"] == "2024-01-22"


def test_seed_004_short_rows_are_inferred_not_shifted():
    """Rows 3.1–3.3.2 carry six numbers for seven columns: not placed, then forced to 0 by row 3.7 = 0."""
    report = extract_report(str(next(SEEDS.glob("004_*.txt"))))
    warnings = "\n".join(report["warnings"])
    for code in ("3.1", "3.2", "3.3.1", "3.3.2"):
        assert f"applications {code}: 6 values for 7 columns, not placed" in warnings
        assert f"applications {code} natural_person: inferred 0" in warnings
    assert "applications 3.3.3" not in warnings
    assert all(c["ok"] for c in report["checks"])


def test_seed_001_one_cell_per_line_reads_nonzero_values():
    report = extract_report(str(next(SEEDS.glob("001_*.txt"))))
    assert report["applications"]["3.4.1"]["natural_person"] == 3
    assert report["active_disclosure"]["licensing"]["decisions"] == 5152
    assert report["warnings"] == []
    assert all(c["ok"] for c in report["checks"])
    assert len([c for c in report["checks"] if c["rule"] == "applications.balance"]) == 7
