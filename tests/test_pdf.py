"""PDF reader: the real Huai'an report (WPS-made, applications table across pages 4–5, vertical label)."""
import pytest

from extract import extract_report
from extract.readers.pdf import _squeeze
from tests.conftest import REAL

HUAIAN = REAL / "huaian" / "szfgs2024.pdf"


@pytest.fixture(scope="module")
def huaian():
    return extract_report(str(HUAIAN))


def test_huaian_metadata(huaian):
    assert huaian["source"]["media_type"] == "application/pdf"
    assert huaian["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"
    assert huaian["agency"] == "淮安市人民政府"
    assert huaian["year"] == 2024
    assert huaian["table_format"] == "2021"
    assert huaian["is_annual_report"] is True
    assert "- 1 -" not in huaian["text"]


def test_huaian_totals(huaian):
    applications = huaian["applications"]
    assert applications["1"]["total"] == 3119
    assert applications["2"]["total"] == 34
    assert applications["3.7"]["total"] == 3050
    assert applications["4"]["total"] == 103
    assert applications["1"]["total"] + applications["2"]["total"] == 3153
    review = huaian["review_litigation"]["review"]
    assert (review["upheld"], review["corrected"], review["other"], review["pending"], review["total"]) == (72, 64, 178, 37, 351)


def test_huaian_rows_across_the_page_break(huaian):
    """Row 3.4.1 ends page 4 and 3.4.2 (its group label cut to 法提供) starts page 5."""
    applications = huaian["applications"]
    assert applications["3.4.1"]["total"] == 769
    assert applications["3.4.2"]["total"] == 11
    assert applications["3.6.1"] == {"natural_person": 67, "commercial_enterprise": 3, "research_institution": 0,
                                     "social_welfare_org": 0, "legal_service_org": 1, "other_org": 0, "total": 71}
    assert applications["3.6.3"]["total"] == 110


def test_huaian_complete_and_consistent(huaian):
    assert huaian["active_disclosure"]["fees"] == {"amount": 96171.6}
    assert huaian["active_disclosure"]["licensing"] == {"decisions": 447228}
    for table in ("active_disclosure", "applications", "review_litigation"):
        assert all(v is not None for group in huaian[table].values() for v in group.values())
    assert huaian["checks"] and all(c["ok"] is True for c in huaian["checks"])
    assert huaian["warnings"] == []


def test_spaces_between_cjk_go_but_between_digits_stay():
    assert _squeeze("淮 安 市 2024 年") == "淮安市 2024 年"
    assert _squeeze("3 4") == "3 4"


def test_fake_bold_characters_counted_once():
    from extract.readers.pdf import _dedupe

    def char(text, x, y):
        return {"text": text, "x0": x, "x1": x + 10, "top": y, "bottom": y + 10, "doctop": y, "upright": True}

    chars = [char("3", 10.0, 5.0), char("3", 10.4, 5.3), char("1", 20.0, 5.0), char("1", 30.0, 5.0)]
    assert [c["text"] for c in _dedupe(chars)] == ["3", "1", "1"], "a real repeated digit stays"
