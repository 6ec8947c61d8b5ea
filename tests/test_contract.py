"""extract/contract.py: the report's one typed definition. What the extractor hands out is a `Report`'s dict,
read back unchanged by the archive; a dict of another shape is refused with one line, and the build keeps
going without it (archive/merge.py)."""
import json

import pytest

from extract.contract import SCHEMA_VERSION, TABLES, ContractError, Report
from extract.report import extract_report
from tests.conftest import pingtan_page


@pytest.fixture(scope="module")
def extracted():
    return extract_report(str(pingtan_page(2022)))


def test_what_the_extractor_hands_out_is_the_contracts_report(extracted):
    report = Report.from_dict(json.loads(json.dumps(extracted, ensure_ascii=False)))
    assert report.to_dict() == extracted
    assert list(extracted)[:2] == ["schema_version", "source"] and extracted["schema_version"] == SCHEMA_VERSION
    assert report.values() and all(table in TABLES for table, _, _ in report.values())
    assert report.values()[("applications", "1", "total")] == extracted["applications"]["1"]["total"]


@pytest.mark.parametrize("change, said", [
    (lambda d: d.update(schema_version=1), "report schema version 1, this nianbao reads 2"),
    (lambda d: d.pop("applications"), "report without applications"),
    (lambda d: d.update(colour="red"), "report with unknown keys colour"),
    (lambda d: d["cells"].update(guessed=[]), "report of the wrong shape"),
    (lambda d: d["checks"].append({"rule": "x"}), "report of the wrong shape"),
])
def test_a_dict_of_another_shape_is_refused_in_one_line(extracted, change, said):
    data = json.loads(json.dumps(extracted, ensure_ascii=False))
    change(data)
    with pytest.raises(ContractError) as refused:
        Report.from_dict(data)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_the_archive_keeps_going_without_a_result_of_another_shape(extracted):
    from archive.merge import merge
    from archive.versions import Document, Version

    def document(role, url, key):
        doc = Document(site="s", report_key="k", url=url, title="t", agency="a", year=2022, role=role,
                       file_name=url.rsplit("/", 1)[1], parent_url=None, version=1, sha256=key, first_seen="2023",
                       last_seen="2023", run_id=1, path="/nowhere", media_type="text/html")
        doc.extraction_key = key
        return doc

    page, attachment = document("page", "http://x/p.html", "a"), document("attachment", "http://x/f.pdf", "b")
    version = Version(report_key="k", version=1, documents=[page, attachment], is_latest=True)
    merged = merge(version, {"a": extracted, "b": {**extracted, "schema_version": 1}})
    assert merged["tables"]["applications"] == extracted["applications"]
    assert "f.pdf: extraction result not readable: report schema version 1, this nianbao reads 2" in merged["warnings"]
