"""Issue 4 acceptance 2: search finds every Chinese substring, one character and up, through Datasette's own
search box (`?_search=`) and its JSON API, and the ranked search page marks the match."""
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from archive import search

QUERIES = ["复议", "公开", "行政诉讼", "依申请公开", "健康委", "县", "政府信息公开工作年度报告"]


def test_index_documents_hold_every_short_substring_once():
    body = set(search.document("健康委", "PDF文件，2024年").split())
    assert {"健", "健康", "康委", "健康委", "pdf", "文件", "2024", "024年"} <= body
    assert "委p" not in body and "件，2" not in body and "，" not in body, "punctuation and lines break runs"
    assert "2024年" not in body, "at most GRAM characters"


def test_grams_are_every_distinct_short_substring_of_every_run_once():
    """The numpy cutting against the definition, on texts mixing Hanzi, Latin (cased, accented), digits,
    astral characters, punctuation and spaces."""
    import random
    import re

    alphabet = list("政府信息公开年度报告复议诉讼") + list("abcXYZéİß0129") + ["\U0001F600", "\U00020000", "，", " ", "_", "\n", "-"]
    rng = random.Random(7)
    texts = ["", "a", "，，", "健康委，PDF文件2024年", "ab ab ab", "\ud800健康"] + \
        ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(300)]
    for text in texts:
        expected = {run[i:i + k] for run in re.findall(r"[^\W_]+", text.lower())
                    for k in range(1, search.GRAM + 1) for i in range(len(run) - k + 1)}
        cut = search.grams(text).split()
        assert len(cut) == len(set(cut)) and set(cut) == expected, text


def test_queries_become_pieces_all_required():
    assert search.match_expression("健康委") == '"健康委"'
    assert search.match_expression("依申请公开") == '"依申请公" AND "申请公开"'
    assert search.match_expression('行政 "复议，申请"') == '"行政" AND "复议" AND "申请"'
    assert search.match_expression("（）*") == '""', "nothing searchable matches nothing instead of failing"


def test_substrings_found_in_a_real_index_and_nothing_else():
    db = sqlite3.connect(":memory:")
    texts = {1: "市卫生健康委员会收到行政复议申请2件", 2: "县人民政府依申请公开12件", 3: "行政诉讼0件；复印件",
             4: "依申请公示，申请公开"}
    search.index(db, [(i, "", t) for i, t in texts.items()])
    for query in ["健康委", "复议", "复", "诉讼", "12", "政", "卫生健康委员会"]:
        found = {r for (r,) in db.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                                          (search.match_expression(query),))}
        assert found == {i for i, t in texts.items() if query in t}, query
    # Longer than GRAM: every piece is required, so nothing containing it is missed; a text holding the
    # pieces apart (4) is also found, and `contains` (which the ranked page applies) drops it.
    found = {r for (r,) in db.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                                      (search.match_expression("依申请公开"),))}
    assert found == {2, 4}
    assert [i for i in found if search.contains("", texts[i], "依申请公开")] == [2]


def _expected(data, query, latest_only=False):
    db = sqlite3.connect(data / "archive.db")
    latest = " AND is_latest = 1" if latest_only else ""
    try:
        return {i for (i,) in db.execute(f"SELECT id FROM reports WHERE (instr(title, ?) OR instr(text, ?)){latest}",
                                         (query, query))}
    finally:
        db.close()


@pytest.mark.parametrize("query", QUERIES)
def test_search_box_and_json_api_return_exactly_the_reports_containing_the_query(site, demo_archive, query):
    expected = _expected(demo_archive["data"], query)
    assert expected, f"the demo archive should contain {query}"
    rows = site.json(f"/archive/reports.json?_search={quote(query)}&_shape=array&_size=max&_col=id")
    assert {r["id"] for r in rows} == expected
    status, page = site.get(f"/archive/reports?_search={quote(query)}")
    assert status == 200 and f"{len(expected)} row" in page


def test_ranked_search_page_marks_the_match(site, demo_archive):
    status, page = site.get(f"/archive/search?q={quote('健康委')}")
    assert status == 200
    assert "<mark>健康委</mark>" in page
    rows = site.json(f"/archive/search.json?q={quote('健康委')}&_shape=array")
    latest = _expected(demo_archive["data"], "健康委", latest_only=True)
    assert {r["report"] for r in rows} <= latest and rows
    assert all("⟦健康委⟧" in r["snippet"] for r in rows)


def test_ranked_search_is_exact_for_long_queries(site, demo_archive):
    query = "政府信息公开工作年度报告"
    rows = site.json(f"/archive/search.json?q={quote(query)}&_shape=array&_size=max")
    assert {r["report"] for r in rows} == _expected(demo_archive["data"], query, latest_only=True), "latest versions"
    titles = [query in r["title"] for r in rows]
    assert titles == sorted(titles, reverse=True), "title matches first"


def test_index_built_in_its_own_process_is_whole(tmp_path):
    """The build makes the index in a file of its own and copies FTS5's tables in: the copy must be a
    working, consistent index."""
    from archive.build import write_archive

    reports = [{"id": i, "title": f"示例{i}局{2020 + i % 5}年政府信息公开工作年度报告", "text": f"收到行政复议申请{i}件"}
               for i in range(1, 301)]
    path = tmp_path / "a.db"
    write_archive(path, [dict(r, report_key=str(r["id"]), version=1, is_latest=True, tables_as_images=False,
                              warnings=[], checks=[], tables={}, documents=[]) for r in reports], {})
    db = sqlite3.connect(path)
    db.execute("INSERT INTO reports_fts(reports_fts, rank) VALUES ('integrity-check', 0)")
    for query, expected in (("复议", 300), ("申请12件", 1), ("示例7局", 1), ("2024年", 60)):
        found = db.execute("SELECT COUNT(*) FROM reports_fts WHERE reports_fts MATCH ?",
                           (search.match_expression(query),)).fetchone()[0]
        assert found == expected, query
    assert not list(tmp_path.glob(".search-*")), "the index's own file is removed"
    for table in search.FTS_TABLES:  # built holding 256 MiB of terms before writing a segment, not FTS5's 1 MiB
        assert db.execute(f"SELECT v FROM [{table}_config] WHERE k = 'hashsize'").fetchone() == (search.PENDING_BYTES,)


def test_an_index_that_cannot_be_built_is_one_line_and_leaves_nothing(tmp_path):
    rows = [(1, "标题", "正文"), ("二", "标题", "正文")]  # a rowid that is not a number: FTS5 refuses it
    with pytest.raises(RuntimeError) as failed:
        with search.building(rows, tmp_path) as copy_into:
            copy_into(sqlite3.connect(tmp_path / "a.db"))
    message = str(failed.value)
    assert message.startswith("the search index could not be built: ") and "\n" not in message
    assert "mismatch" in message, "says what went wrong"
    assert not list(tmp_path.glob(".search-*"))


INDEXING_CALLER = """
import sys, time
from pathlib import Path
from archive import search
from archive.extraction import die_with_parent_on_fork
die_with_parent_on_fork()
rows = [(i, "标题", "收到行政复议申请件" * 400) for i in range(1, 200_001)]
with search.building(rows, Path(sys.argv[1])):
    print("indexing", flush=True)
    time.sleep(120)
"""


def test_the_indexing_process_and_its_pool_die_with_the_build(tmp_path):
    """The index is built by a process of the build's, with a pool of its own: killing the build (SIGKILL,
    nothing runs after it) must leave none of them running."""
    from tests.test_hostile_build import alive, descendants

    caller = subprocess.Popen([sys.executable, "-c", INDEXING_CALLER, str(tmp_path)], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parent.parent, text=True)
    try:
        assert caller.stdout.readline().strip() == "indexing"
        deadline = time.time() + 30
        found: set[int] = set()
        while time.time() < deadline and len(found) < 1 + (os.cpu_count() or 1):
            found |= descendants(caller.pid)
            time.sleep(0.05)
        assert len(found) >= 1 + (os.cpu_count() or 1), "the indexing process and its pool are running"
    finally:
        caller.kill()
        caller.wait(timeout=10)
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(pid) for pid in found):
        time.sleep(0.1)
    assert not [pid for pid in found if alive(pid)], "no indexing process outlives the build"


def _ranked_archive(tmp_path):
    """300 reports over six years (and some without one), a third of them with an older version too, in
    three provinces; a tenth name 复议 in their title."""
    from archive.build import write_archive

    reports = []
    for i in range(1, 301):
        title = f"示例{i}局{'行政复议' if i % 10 == 0 else ''}{2019 + i % 6}年政府信息公开工作年度报告"
        year = None if i % 37 == 0 else 2019 + i % 6
        for version in ((1, 2) if i % 3 == 0 else (1,)):
            reports.append({"id": 2 * i + version, "title": title, "text": f"收到行政复议申请{i}件，版本{version}",
                            "report_key": str(i), "version": version, "is_latest": version == (2 if i % 3 == 0 else 1),
                            "year": year, "province": ("福建省", "江苏省", "浙江省")[i % 3], "tables_as_images": False,
                            "warnings": [], "checks": [], "tables": {}, "documents": []})
    path = tmp_path / "a.db"
    write_archive(path, reports, {})
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    calls = []
    db.create_function("nianbao_match", 1, search.match_expression)
    db.create_function("nianbao_contains", 3, lambda *a: calls.append(1) or search.contains(*a))
    return db, calls


def _by_full_sort(db, query, where="", params=None):
    """What the ranked search must give, found the slow way: every latest match, sorted."""
    rows = db.execute(f"SELECT id, title, year FROM reports WHERE is_latest = 1{where}", params or {}).fetchall()
    hits = [r for r in rows if search.contains(r["title"], None, query) or search.contains(
        "", db.execute("SELECT text FROM reports WHERE id = ?", (r["id"],)).fetchone()[0], query)]
    hits.sort(key=lambda r: (query not in r["title"], r["year"] is None, -(r["year"] or 0), -r["id"]))
    return [r["id"] for r in hits]


@pytest.mark.parametrize("query,where,params", [
    ("复议", "", {}), ("行政复议", "", {}), ("申请1", "", {}), ("版本2", "", {}), ("2021年", "", {}),
    ("复议", " AND province = :province", {"province": "江苏省"}), ("局", " AND year = :year", {"year": 2022}),
    ("无此词", "", {})])
def test_ranked_search_gives_the_full_sort_s_order_without_reading_every_match(tmp_path, query, where, params):
    db, calls = _ranked_archive(tmp_path)
    expected = _by_full_sort(db, query, where, params)
    for limit in (5, 100, 1000):
        calls.clear()
        found = [r["id"] for r in db.execute(search.ranked_sql("r.id", where, limit), {**params, "q": query})]
        assert found == expected[:limit], (query, limit)
        if len(expected) > 2 * limit:
            assert len(calls) <= 2 * limit, f"{query}: the text was checked {len(calls)} times for {limit} results"
        narrowed = [r["id"] for r in db.execute(search.ranked_sql("r.id", where, limit, narrow=True),
                                                {**params, "q": query})]
        assert narrowed == expected[:limit], (query, limit, "walking the reports instead")


def test_ranked_search_within_one_agency_walks_its_reports(tmp_path):
    db, calls = _ranked_archive(tmp_path)
    db.execute("UPDATE reports SET agency = '示例局' WHERE id IN (21, 61, 62, 302)")  # reports 10, 30, 150 (30 with its older version)
    db.execute("CREATE INDEX agency ON reports (agency)")
    expected = _by_full_sort(db, "申请", " AND agency = :agency", {"agency": "示例局"})
    assert len(expected) == 3
    found = [r["id"] for r in db.execute(search.ranked_sql("r.id", " AND agency = :agency", 100, narrow=True),
                                         {"q": "申请", "agency": "示例局"})]
    assert found == expected
    assert len(calls) <= 3, "only the agency's own latest reports are read"


def test_search_ids_rank_latest_versions_newest_first(tmp_path):
    db, _ = _ranked_archive(tmp_path)
    rows = db.execute("SELECT search_id, is_latest, year, id FROM reports ORDER BY search_id").fetchall()
    latest = [r for r in rows if r["is_latest"]]
    assert [r["search_id"] for r in latest] == list(range(1, len(latest) + 1))
    assert [(r["year"] is None, -(r["year"] or 0), -r["id"]) for r in latest] == sorted(
        (r["year"] is None, -(r["year"] or 0), -r["id"]) for r in latest)
    assert {r["search_id"] for r in rows if not r["is_latest"]} == set(range(-100, 0))
    titles = db.execute("SELECT COUNT(*) FROM reports_fts_titles WHERE reports_fts_titles MATCH '\"复议\"'").fetchone()[0]
    assert titles == 30 + 10, "the title index holds titles only (30 reports, 10 with an older version)"
