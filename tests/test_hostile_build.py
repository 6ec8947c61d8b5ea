"""Issue 15, items 2 and 7: one document's content never stops a build, and a killed build leaves no workers.

A portal on 127.0.0.1 publishes eleven reports, one of whose 总计 cells is 9223372036854775808, and one big
page (slow to read); the real `nianbao crawl` and `nianbao build` run in subprocesses. To reach the build's
own writing whatever the extractor makes of a number, two documents' extraction results are then replaced
in `extracted.db` (the build reads them from there) by what an extractor might return: a count beyond
SQLite's 64-bit integers, and text with a lone surrogate, which SQLite cannot encode."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import yaml

from demo.portal import report_page
from tests.conftest import nianbao, select
from tests.test_hostile import Server, html

AGENCY = "示例市审计局"
HUGE = 9223372036854775808  # 2**63: one more than SQLite's largest integer


def title(year: int) -> str:
    return f"{AGENCY}{year}年政府信息公开工作年度报告"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-build")
    pages = {f"/nb/{year}.html": html(report_page(title(year), AGENCY, year - 2010)) for year in range(2014, 2024)}
    pages["/nb/2013.html"] = html(report_page(title(2013), AGENCY, 3).replace("<td>1263</td>", f"<td>{HUGE}</td>"))
    big = "".join(f"<p>第{i}段：本机关认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开。</p>" for i in range(15000))
    pages["/nb/2012.html"] = html(report_page(title(2012), AGENCY, 2, overview=big))
    links = "".join(f"<li><a href='{path.rsplit('/', 1)[1]}'>{title(int(path[4:8]))}</a></li>" for path in pages)
    pages["/nb/index.html"] = html(f"<ul>{links}</ul>")
    portal = Server(pages)
    sites = folder / "sites.yaml"
    sites.write_text(yaml.safe_dump([{"name": "audit", "agency": AGENCY, "delay": 0,
                                      "start_urls": [f"{portal.base}/nb/index.html"]}], allow_unicode=True),
                     encoding="utf-8")
    data = folder / "data"
    try:
        nianbao("crawl", "--sites", sites, "--data", data)
    finally:
        portal.stop()
    return {"data": data, "base": portal.base}


def url_of(crawled, year: int) -> str:
    return f"{crawled['base']}/nb/{year}.html"


def poison(data: Path, url: str, change) -> None:
    """Replace the cached extraction result of the document at `url` by `change(result)`."""
    sha256, = select(data / "crawl.db", "SELECT sha256 FROM report_documents WHERE url = ?", url)[0]
    db = sqlite3.connect(data / "extracted.db")
    try:
        (blob,), = db.execute("SELECT result FROM extracted WHERE key = ?", (sha256,)).fetchall()
        result = change(json.loads(zlib.decompress(blob)))
        blob = zlib.compress(json.dumps(result, ensure_ascii=True).encode(), 3)  # \ud800 survives as an escape
        db.execute("UPDATE extracted SET result = ? WHERE key = ?", (blob, sha256))
        db.commit()
    finally:
        db.close()


def huge_count(result: dict) -> dict:
    result["applications"]["1"]["total"] = HUGE
    return result


def lone_surrogate(result: dict) -> dict:
    result["text"] += "\ud800"
    return result


@pytest.fixture(scope="module")
def built(crawled, tmp_path_factory):
    data = tmp_path_factory.mktemp("built") / "data"
    shutil.copytree(crawled["data"], data)
    return {"data": data, "build": nianbao("build", "--data", data, check=False)}


@pytest.fixture(scope="module")
def poisoned(crawled, built, tmp_path_factory):
    data = tmp_path_factory.mktemp("poisoned") / "data"
    shutil.copytree(built["data"], data)
    poison(data, url_of(crawled, 2020), huge_count)
    poison(data, url_of(crawled, 2021), lone_surrogate)
    (data / "archive.db").unlink()  # build again, from the cache
    return {"data": data, "build": nianbao("build", "--data", data, check=False)}


# --- item 2 ------------------------------------------------------------------------------------------

def test_a_total_beyond_any_count_is_unreadable_and_the_build_succeeds(crawled, built):
    data, result = built["data"], built["build"]
    assert result.returncode == 0, result.stderr
    value = select(data / "archive.db", "SELECT a.value FROM applications a JOIN reports r ON r.id = a.report_id"
                   " WHERE r.url = ? AND a.row_code = '1' AND a.applicant = 'total'", url_of(crawled, 2013))
    assert value and (value[0][0] is None or value[0][0] < 10**9), "unreadable (or inferred from the other cells)"
    assert "left out" not in result.stdout


def test_a_report_the_archive_cannot_hold_is_left_out_named_and_counted(crawled, poisoned):
    build = poisoned["build"]
    assert build.returncode == 0, build.stdout + build.stderr
    assert "Traceback" not in build.stderr and "OverflowError" not in build.stderr
    assert "2 reports left out" in build.stdout, build.stdout
    data = poisoned["data"]
    urls = {u for (u,) in select(data / "archive.db", "SELECT url FROM reports")}
    assert url_of(crawled, 2020) not in urls and url_of(crawled, 2021) not in urls
    assert {url_of(crawled, y) for y in (2014, 2019, 2022, 2023)} <= urls, "the rest is built"
    log = (data / "logs" / "nianbao.log").read_text(encoding="utf-8")
    for year, why in ((2020, "beyond what SQLite can hold"), (2021, "not valid Unicode")):
        line = next((line for line in log.splitlines() if url_of(crawled, year) in line and "left out" in line), "")
        assert why in line, f"the log names {year}'s document and why: {line!r}"
    (value,), = select(data / "archive.db", "SELECT value FROM _build WHERE key = 'left_out'")
    left_out = json.loads(value)
    assert sorted(entry["url"] for entry in left_out) == [url_of(crawled, 2020), url_of(crawled, 2021)]


def test_the_next_build_leaves_them_out_again_until_the_documents_change(poisoned):
    again = nianbao("build", "--data", poisoned["data"], check=False)
    assert again.returncode == 0 and "up to date" in again.stdout


# --- item 7 ------------------------------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.update(children)
            todo += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_build_leaves_no_extraction_workers(crawled, tmp_path, how):
    data = tmp_path / "data"
    shutil.copytree(crawled["data"], data)
    build = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "build", "--data", str(data), "--workers", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2 and build.poll() is None:
        workers |= descendants(build.pid)
        time.sleep(0.01)
    assert len(workers) >= 2, "the build started its workers"
    os.kill(build.pid, how)
    build.wait(timeout=10)
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # not left to the machine
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} workers outlived the build"
    assert not (data / "archive.db").exists(), "a killed build leaves no archive (nor a half one)"


def test_a_write_that_fails_in_a_way_no_check_foresaw_still_leaves_out_only_its_report(tmp_path, monkeypatch):
    """The build's last resort: when writing fails anyway, each report is tried on its own and only the
    ones that fail are left out (here the up-front check is switched off, so SQLite itself refuses 2**63)."""
    from archive import build
    from archive.versions import Document

    def report(i: int, total: int) -> dict:
        doc = Document(site="s", report_key=f"{AGENCY}|{2020 + i}", url=f"http://127.0.0.1/{i}.html", title=title(2020 + i),
                       agency=AGENCY, year=2020 + i, role="page", file_name=None, parent_url=None, version=1,
                       sha256=f"{i:064x}", first_seen="2025-01-20T00:00:00Z", last_seen="2025-01-20T00:00:00Z",
                       run_id=1, media_type="text/html")
        return {"id": i + 1, "report_key": doc.report_key, "version": 1, "is_latest": True, "site": "s", "url": doc.url,
                "title": doc.title, "agency": AGENCY, "year": 2020 + i, "tables_as_images": False, "text": "报告正文",
                "warnings": [], "checks": [], "cells": {}, "documents": [doc],
                "tables": {"applications": {"1": {"total": total}}}}

    monkeypatch.setattr(build, "check_rows", lambda report: None)
    left_out = build._LeftOut()
    written = build.write_archive(tmp_path / "archive.db", [report(0, 1), report(1, HUGE), report(2, 3)], {}, "x",
                                  left_out)
    assert [r["id"] for r in written] == [1, 3]
    assert [entry["url"] for entry in left_out] == ["http://127.0.0.1/1.html"]
    assert "OverflowError" in left_out[0]["error"]
    assert select(tmp_path / "archive.db", "SELECT id FROM reports ORDER BY id") == [(1,), (3,)]
    assert select(tmp_path / "archive.db", "SELECT value FROM applications ORDER BY report_id") == [(1,), (3,)]


@pytest.mark.parametrize("where, change, why", [
    ("applications.value", lambda r: r["tables"]["applications"]["1"].update(total=HUGE), "beyond what SQLite can hold"),
    ("active_disclosure.item", lambda r: r["tables"]["active_disclosure"].update({"规章\ud800": {"issued": 1}}),
     "not valid Unicode"),
    ("reports.title", lambda r: r.update(title=["a", "list"]), "a list"),
    ("checks.message", lambda r: r["checks"].append({"rule": "x", "message": -HUGE - 1}), "beyond"),
])
def test_each_value_the_archive_cannot_hold_is_named_with_its_column(where, change, why):
    from archive.build import check_rows

    report = _writable_report()
    check_rows(report)  # as it is, it can be written
    change(report)
    with pytest.raises(ValueError) as bad:
        check_rows(report)
    assert str(bad.value).startswith(where) and why in str(bad.value)


def test_the_edges_of_what_sqlite_holds_pass():
    from archive.build import check_rows

    report = _writable_report()
    report["tables"]["applications"]["1"].update(total=-2**63, natural=2**63 - 1)
    report["title"] = type("Title", (str,), {})("示例")  # a str of another type is still text
    check_rows(report)


def _writable_report() -> dict:
    return {"id": 1, "report_key": "k", "version": 1, "is_latest": True, "tables_as_images": False, "title": "t",
            "text": "正文", "warnings": [], "checks": [{"rule": "r", "scope": "s", "ok": True, "message": "m"}],
            "documents": [], "tables": {"applications": {"1": {"total": 3, "natural": 3}},
                                        "active_disclosure": {"规章": {"issued": 1}}, "review_litigation": {}}}
