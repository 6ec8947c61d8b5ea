"""Full-text search that finds any Chinese substring, one character and up, fast on a big archive.

SQLite's FTS5 tokenizers do not segment Chinese (unicode61 makes a whole run of Hanzi one token; trigram
finds nothing under three characters; a word segmenter such as jieba misses substrings like 健康委). A
per-character index with phrase queries finds everything but is slow here: report texts repeat the same
characters (政府信息公开…) dozens of times each, so a phrase of common characters walks huge position
lists (measured: ~0.5 s for 7 characters over 100,000 reports, more than a trigram index).

So the index holds, for each report, the set of its substrings of 1 to GRAM characters (within runs of
letters and digits; punctuation breaks a run), once each, without positions (FTS5 `detail=none`). A
query of up to GRAM characters is then one token: exact, and as fast as a lookup. A longer one is every
GRAM-character piece of it, all required, which finds every report containing it and, rarely, one holding
all the pieces apart; the ranked search page checks the text itself, so it is exact at any length.

The FTS tables are contentless (the text lives once, in `reports`) and keyed by `reports.search_id`, the
report's place in the ranked order: latest versions 1, 2, 3… newest year first (then newest id), older
versions -1, -2… So the ranked search walks FTS5's own rowid order and stops at the page it shows, instead of
collecting and sorting every match (which grew with the archive: 0.5 µs a match, half a second for a
one-character query at 300,000 reports), and `rowid > 0` keeps it to latest versions. A second index over
the titles alone (`reports_fts_titles`) gives the "title first" tier the same way.

Datasette's table search (`?_search=`) is pointed at the body index by the table's `fts_table`/`fts_pk`
metadata, with `match_expression` registered over Datasette's own `escape_fts` by the site plugin; it
counts and sorts every match, as that API promises.
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import re
import sqlite3
import threading
from pathlib import Path

import numpy as np

GRAM = 4
FTS_TABLE = "reports_fts"
TITLE_TABLE = "reports_fts_titles"
FTS_TABLES = (FTS_TABLE, TITLE_TABLE)
# The documents are already cut into lowercased tokens of letters and digits split by spaces, so the index
# needs a tokenizer that only splits at spaces: `ascii` (non-ASCII characters are token characters) does
# exactly that, 3.7× cheaper a token than unicode61's classification (62 against 228 ns), which was some
# 30% of the index's build.
CREATE = [f"CREATE VIRTUAL TABLE [{name}] USING fts5(body, content='', detail=none, columnsize=0,"
          " tokenize='ascii')" for name in FTS_TABLES]

_RUN = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def grams(text: str | None) -> str:
    """Every distinct substring of 1 to GRAM characters of the text's runs, space-separated, shortest first.

    Done on code points with numpy, a length at a time: a k-gram's key is the rank of the (k-1)-gram it
    starts with and its last character, so one sort of integers per length finds the distinct ones, and one
    occurrence of each is copied out (2× faster than building Python strings in a set, on what the build
    does most: some 4,000 substrings a report). Runs are joined by one space; a gram holding a space is
    dropped."""
    line = " ".join(_RUN.findall((text or "").lower()))
    codes = np.frombuffer(line.encode("utf-32-le"), dtype=np.uint32)
    n = len(codes)
    if not n:
        return ""
    spaces_before = np.zeros(n + 1, np.int64)
    np.cumsum(codes == 32, out=spaces_before[1:])
    wide = codes.astype(np.uint64)
    key, found = wide, []
    for k in range(1, min(GRAM, n) + 1):
        if k > 1:
            key = (rank[:n - k + 1] << 21) | wide[k - 1:]  # a code point has 21 bits
        order = key.argsort()
        ordered = key[order]
        first_of_kind = np.empty(len(key), bool)
        first_of_kind[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first_of_kind[1:])
        rank = np.empty(len(key), np.uint64)
        rank[order] = np.cumsum(first_of_kind)
        starts = order[first_of_kind]
        starts = starts[spaces_before[starts + k] == spaces_before[starts]]
        block = np.full((len(starts), k + 1), 32, np.uint32)  # each gram, then a space
        block[:, :k] = codes[starts[:, None] + np.arange(k)]
        found.append(block.ravel())
    return np.concatenate(found).tobytes().decode("utf-32-le").rstrip()


def document(title: str | None, text: str | None) -> str:
    return grams(f"{title or ''}\n{text or ''}")


SHADOW_TABLES = ("data", "idx", "config")  # a contentless detail=none columnsize=0 table's own tables


@contextlib.contextmanager
def building(rows, folder: Path):
    """Build the indexes of (search id, title, text) rows in a file of their own, in a process of their own,
    starting now, so the index grows while the caller writes everything else. That process cuts the
    substrings with a pool of its own and feeds FTS5, which inserts into one table one at a time.
    (In a thread of the caller's, the GIL that the caller's writing holds left FTS5 waiting for substrings,
    and the two together used one core.) Yields a function that waits for the index and copies it into the
    caller's database (which must not have the FTS tables yet, and should be reopened before it is searched)."""
    path = folder / f".search-{os.getpid()}-{threading.get_ident()}.db"
    path.unlink(missing_ok=True)
    context = multiprocessing.get_context("fork")  # the rows are inherited, not sent
    receive, send = context.Pipe(duplex=False)
    indexer = context.Process(target=_build_file, args=(rows, path, send), name="search-index")
    indexer.start()
    send.close()

    def copy_into(db) -> None:
        """FTS5 keeps its index in ordinary tables: a table created empty, with nothing pending,
        takes them whole."""
        try:
            outcome = receive.recv()
        except EOFError:  # it died without a word (a signal, or out of memory)
            outcome = None
        indexer.join()
        outcome = outcome or f"its process ended with code {indexer.exitcode}"
        if outcome != "ok":
            raise RuntimeError(f"the search index could not be built: {outcome}")
        db.commit()
        db.execute("ATTACH DATABASE ? AS search", (str(path),))
        for create in CREATE:
            db.execute(create)
        db.commit()
        for table in FTS_TABLES:
            for name in SHADOW_TABLES:
                db.execute(f"DELETE FROM main.[{table}_{name}]")
                db.execute(f"INSERT INTO main.[{table}_{name}] SELECT * FROM search.[{table}_{name}]")
        db.commit()
        db.execute("DETACH DATABASE search")

    try:
        yield copy_into
    finally:
        if indexer.is_alive():
            indexer.terminate()
        indexer.join(timeout=60)
        receive.close()
        path.unlink(missing_ok=True)


def _build_file(rows, path: Path, outcome) -> None:
    """The indexing process: says "ok" or what went wrong, in one line, through `outcome`."""
    gc.freeze()  # the caller's objects, inherited: never walked here, so their pages stay shared
    try:
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
            db = sqlite3.connect(path)
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            _insert(db, pool.imap(_document, rows, chunksize=64))
            db.close()
    except BaseException as e:  # noqa: BLE001 - told to the waiting caller
        outcome.send(f"{type(e).__name__}: {' '.join(str(e).split())}"[:300])
    else:
        outcome.send("ok")
    finally:
        outcome.close()


PENDING_BYTES = 256 * 2**20


def _insert(db, documents) -> None:
    """FTS5 keeps the terms of the rows not yet written in memory, up to `hashsize` bytes (1 MiB unless told),
    then writes them as a new segment and merges segments as they pile up. A report adds some 4,000 terms, most
    of them not yet pending, so at 1 MiB it flushed every few reports and the merging was most of the
    build (measured, the index alone over 10,000 reports: 184 reports/s at 1 MiB, 446 at 256 MiB; over
    50,000, 376 at 256 MiB)."""
    for create in CREATE:
        db.execute(create)
    for table in FTS_TABLES:
        db.execute(f"INSERT INTO [{table}] ([{table}], rank) VALUES ('hashsize', ?)", (PENDING_BYTES,))
    with db:
        while batch := list(itertools.islice(documents, 500)):
            db.executemany(f"INSERT INTO [{FTS_TABLE}] (rowid, body) VALUES (?, ?)", [(i, body) for i, body, _ in batch])
            db.executemany(f"INSERT INTO [{TITLE_TABLE}] (rowid, body) VALUES (?, ?)", [(i, t) for i, _, t in batch])


def index(db, rows) -> None:
    """Create and fill the indexes of (search id, title, text) rows directly (small archives, tests)."""
    _insert(db, map(_document, rows))


def _document(row: tuple) -> tuple[int, str, str]:
    return row[0], document(row[1], row[2]), grams(row[1])


def ranked_sql(columns: str, conditions: str = "", limit: int = 100, narrow: bool = False) -> str:
    """The ranked search over latest versions: `columns` of `reports r`, as SQL with `:q` and the caller's
    conditions on `reports` (each " AND …", named parameters): reports whose title holds the query first, then
    the others, each in search-id order (newest year first). Each tier walks its FTS index in rowid order and
    stops after `limit` rows that pass the conditions and really contain the query, so a query matching
    every report costs what one matching a hundred does. When the conditions leave few reports (`narrow`:
    one agency), the tiers walk those reports instead and look each up in the index."""
    def tier(table: str, in_title: int, check: str) -> str:
        joined, key = ((f"reports r CROSS JOIN [{table}] f ON f.rowid = r.search_id", "r.search_id") if narrow else
                       (f"[{table}] f CROSS JOIN reports r ON r.search_id = f.rowid", "f.rowid"))
        return (f"SELECT * FROM (SELECT f.rowid AS sid, {in_title} AS in_title FROM {joined}"
                f" WHERE [{table}] MATCH nianbao_match(:q) AND {key} > 0{conditions} AND {check}"
                f" ORDER BY {key} LIMIT {limit})")

    return (f"SELECT {columns} FROM (SELECT sid, max(in_title) AS in_title FROM ("
            + tier(TITLE_TABLE, 1, "instr(r.title, :q) > 0") + " UNION ALL "
            + tier(FTS_TABLE, 0, "nianbao_contains(r.title, r.text, :q)") + ") GROUP BY sid) AS best"
            f" JOIN reports r ON r.search_id = best.sid ORDER BY best.in_title DESC, best.sid LIMIT {limit}")


def words(query: str | None) -> list[str]:
    """The query's words ("quoted phrases" kept whole), as the text must contain them."""
    return [quoted or word for quoted, word in _QUOTED.findall(query or "") if (quoted or word).strip()]


def match_expression(query: str | None) -> str:
    """A user's query as an FTS5 expression: every run of every word, each as its GRAM-character pieces,
    all required. A query with nothing searchable matches nothing rather than failing."""
    pieces: list[str] = []
    for word in words(query):
        for run in _RUN.findall(word.lower()):
            if len(run) <= GRAM:
                pieces.append(run)
            else:
                pieces.extend(run[i:i + GRAM] for i in range(len(run) - GRAM + 1))
    return " AND ".join(f'"{p}"' for p in dict.fromkeys(pieces)) if pieces else '""'


def contains(title: str | None, text: str | None, query: str | None) -> bool:
    """Whether every word of the query is in the title or the text (case-insensitive for Latin)."""
    haystack = f"{title or ''}\n{text or ''}".lower()
    found = words(query)
    return bool(found) and all(w.lower() in haystack for w in found)


def snippet(text: str | None, query: str | None, width: int = 60) -> list[tuple[str, bool]]:
    """Around the first word's first occurrence, as (piece, is_match) pairs, for a results page to mark up
    (escaped) itself."""
    text = text or ""
    found = words(query)
    for word in found:
        at = text.lower().find(word.lower())
        if at < 0:
            continue
        start, end = max(0, at - width), min(len(text), at + len(word) + width)
        pattern = "(" + "|".join(re.escape(w) for w in found) + ")"
        out = [("…", False)] if start else []
        out += [(part, bool(re.fullmatch(pattern, part, re.I))) for part in re.split(pattern, text[start:end], flags=re.I)
                if part]
        return out + ([("…", False)] if end < len(text) else [])
    return [(text[: 2 * width] + ("…" if len(text) > 2 * width else ""), False)]
