"""Issue 4 acceptance 1 and the build's promises: the archive built from a crawl of the demo portal holds
the extractor's values and checks; a second build changes nothing; an interrupted build leaves the archive
as it was; a changed report is a new version with the old kept; a report gone from its portal is marked,
not dropped; regions come from the place-name package and the registry."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from archive.checks import RULES
from archive.merge import values
from archive.tables import KEYS
from demo.portal import DemoPortal
from extract.report import extract_report
from tests.conftest import nianbao, select
from tests.test_crawl import EXPECTED_REPORTS


ACROSS_REPORTS = {*RULES, "sources.agree"}  # the build's checks, beside the extractor's own


def query(data: Path, sql: str, *args):
    return select(data / "archive.db", sql, *args)


def dump(data: Path) -> dict:
    db = sqlite3.connect(data / "archive.db")
    try:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE"
                                          " 'reports_fts%' AND name != '_build' AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(map(repr, db.execute(f"SELECT * FROM [{n}]"))) for n in names}
    finally:
        db.close()


def test_every_crawled_report_is_in_the_archive(demo_archive):
    keys = {k for (k,) in query(demo_archive["data"], "SELECT report_key FROM reports WHERE is_latest = 1")}
    assert keys == EXPECTED_REPORTS
    without_tables = query(demo_archive["data"], "SELECT report_key FROM reports WHERE table_format IS NULL")
    assert without_tables == [("示例县人民政府|2022",)], "the demo's one report without tables"


def test_values_and_checks_equal_the_extractors(demo_archive):
    data = demo_archive["data"]
    reports = query(data, "SELECT r.id, d.path, r.url FROM reports r JOIN documents d ON d.sha256 = r.source_sha256")
    assert len(reports) == len(EXPECTED_REPORTS) + 1, "and the report corrected after publication: two versions"
    for report_id, path, url in reports:
        extracted = extract_report(url, (data / path).read_bytes())
        archived = {}
        for table, (first, second) in KEYS.items():
            for a, b, value in query(data, f"SELECT {first}, {second}, value FROM {table} WHERE report_id = ?", report_id):
                if value is not None:
                    archived[(table, a, b)] = value
        assert archived == values(extracted), url
        archived_checks = query(data, "SELECT rule, scope, ok FROM checks WHERE report_id = ?", report_id)
        own = {(rule, scope, ok) for rule, scope, ok in archived_checks if rule not in ACROSS_REPORTS}
        assert own == {(c["rule"], c["scope"], None if c["ok"] is None else int(c["ok"])) for c in extracted["checks"]}
        failed = sum(1 for _, _, ok in archived_checks if ok == 0)
        assert query(data, "SELECT checks_failed FROM reports WHERE id = ?", report_id) == [(failed,)]


def test_page_and_attachment_merge_into_one_report_and_disagreement_is_a_check(demo_archive):
    data = demo_archive["data"]
    # TRS: the page says 详见附件, the PDF has the tables: the PDF wins.
    media = query(data, "SELECT d.media_type FROM reports r JOIN documents d ON d.sha256 = r.source_sha256"
                        " WHERE r.report_key = '示例市卫生健康委员会|2024'")
    assert media == [("application/pdf",)]
    agree = dict(query(data, "SELECT r.report_key, c.ok FROM checks c JOIN reports r ON r.id = c.report_id"
                             " WHERE c.rule = 'sources.agree'"))
    assert agree["示例县人民政府|2024"] == 1, "the page and its DOCX give the same numbers"
    assert agree["示例区教育局|2023"] == 0, "the 图片版 disagrees with the 全文版"
    files = query(data, "SELECT role FROM report_files f JOIN reports r ON r.id = f.report_id"
                        " WHERE r.report_key = '示例区教育局|2023' ORDER BY role")
    assert files == [("page",), ("page",), ("picture",), ("picture",)]


def test_regions_from_place_names_and_the_registry(demo_archive):
    regions = dict((k, (p, c, d)) for k, p, c, d in query(
        demo_archive["data"], "SELECT report_key, province, city, county FROM reports"))
    assert regions["平潭综合实验区|2024"] == ("福建省", "福州市", "平潭县"), "another agency's report: its own name"
    assert regions["示例县人民政府|2024"] == ("江苏省", "南京市", "江宁区"), "the site's region"
    assert regions["示例市交通运输局|2024"] == ("广东省", "深圳市", None)


def test_a_second_build_changes_nothing_and_a_rebuild_is_identical(demo_archive, tmp_path):
    data = demo_archive["data"]
    before = (data / "archive.db").stat().st_mtime_ns
    second = nianbao("build", "--data", data)
    assert "up to date" in second.stdout
    assert (data / "archive.db").stat().st_mtime_ns == before
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    (copy / "archive.db").unlink()
    rebuilt = nianbao("build", "--data", copy)
    assert " 0 documents extracted" in rebuilt.stdout, "extraction results are reused"
    assert dump(copy) == dump(data)


def test_export_csv_and_parquet(demo_archive, tmp_path):
    import pandas as pd

    nianbao("export", "--format", "parquet", "--data", demo_archive["data"], "--out", tmp_path / "pq")
    nianbao("export", "--format", "csv", "--data", demo_archive["data"], "--out", tmp_path / "csv")
    wide = pd.read_parquet(tmp_path / "pq" / "reports_wide.parquet")
    assert len(wide) == len(EXPECTED_REPORTS)
    row = wide[wide.report_key == "示例县人民政府|2024"].iloc[0]
    expected = query(demo_archive["data"], "SELECT a.value FROM applications a JOIN reports r ON r.id = a.report_id"
                     " WHERE r.report_key = '示例县人民政府|2024' AND a.row_code = '1' AND a.applicant = 'total'")[0][0]
    assert row["applications.1.total"] == expected
    applications = pd.read_csv(tmp_path / "csv" / "applications.csv", encoding="utf-8-sig")
    assert len(applications) == query(demo_archive["data"], "SELECT COUNT(*) FROM applications")[0][0]


def test_versions_disappearance_and_an_interrupted_build(tmp_path):
    portal = DemoPortal(work_dir=tmp_path / "portal").start()
    try:
        sites = portal.write_sites(tmp_path / "sites.yaml")
        data = tmp_path / "data"
        nianbao("crawl", "--sites", sites, "--data", data)
        nianbao("build", "--data", data)
        first = dump(data)
        first_ids = query(data, "SELECT report_key, version, id FROM reports")
        changed = "/generic/2023/report.html"
        portal.replace(changed, portal.routes[changed].body.replace("认真贯彻落实".encode(), "全面贯彻落实".encode()))
        for listing in ("/generic/list_2.html", "/generic/list_3.html"):  # the 2022 report leaves its column
            portal.replace(listing, portal.routes[listing].body.replace(b"2022/report.html", b"2022/gone.html"))
        nianbao("crawl", "--sites", sites, "--data", data)
    finally:
        portal.stop()

    killed = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "build", "--data", str(data), "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(data.glob(".archive.db.*.tmp")) and killed.poll() is None:
        time.sleep(0.005)
    assert killed.poll() is None, "the build ended before it could be interrupted"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert query(data, "PRAGMA integrity_check") == [("ok",)]
    assert dump(data) == first, "the interrupted build left the archive as it was"

    nianbao("build", "--data", data)
    assert not list(data.glob(".archive.db.*.tmp"))
    versions = query(data, "SELECT version, is_latest, instr(text, '全面贯彻落实') > 0 FROM reports"
                           " WHERE report_key = '示例镇人民政府|2023' ORDER BY version")
    assert versions == [(1, 0, 0), (2, 1, 1)]
    gone = query(data, "SELECT on_portal, is_latest FROM reports WHERE report_key = '示例镇人民政府|2022'")
    assert gone == [(0, 1)], "kept and marked"
    assert query(data, "SELECT COUNT(*) FROM reports WHERE on_portal = 0") == [(1,)]
    ids = {(key, version): i for key, version, i in query(data, "SELECT report_key, version, id FROM reports")}
    assert first_ids and all(ids[(key, version)] == i for key, version, i in first_ids), "report ids are kept"
