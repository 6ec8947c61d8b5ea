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

The FTS table is contentless (the text lives once, in `reports`) and keyed by `reports.search_id`, a copy
of the id under a covering index, so counting and sorting the matches never reads the large text rows.
Datasette is pointed at it by the table's `fts_table`/`fts_pk` metadata, and `match_expression` is
registered over Datasette's own `escape_fts` by the site plugin, so the search box and `?_search=` work.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sqlite3
import threading
from pathlib import Path

GRAM = 4
FTS_TABLE = "reports_fts"
CREATE = (f"CREATE VIRTUAL TABLE [{FTS_TABLE}] USING fts5(body, content='', detail=none, columnsize=0,"
          " tokenize='unicode61 remove_diacritics 0')")

_RUN = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def grams(text: str | None) -> str:
    """Every distinct substring of 1 to GRAM characters of the text's runs, space-separated."""
    found: set[str] = set()
    for run in _RUN.findall((text or "").lower()):
        n = len(run)
        found.update(run)
        for k in range(2, min(GRAM, n) + 1):
            found.update(map(run.__getitem__, map(slice, range(0, n - k + 1), range(k, n + 1))))
    return " ".join(found)


def document(title: str | None, text: str | None) -> str:
    return grams(f"{title or ''}\n{text or ''}")


SHADOW_TABLES = ("data", "idx", "config")  # a contentless detail=none columnsize=0 table's own tables


@contextlib.contextmanager
def building(rows, folder: Path):
    """Build the index of (report id, title, text) rows in a file of its own, in a thread, starting now:
    FTS5 inserts into one table one at a time (and SQLite lets go of the GIL while it works), so the
    index grows while the caller writes everything else; the substrings (pure Python) are cut by a pool
    of processes beside it. Yields a function that waits for the index and copies it into the caller's
    database (which must not have the FTS table yet, and should be reopened before it is searched)."""
    path = folder / f".search-{os.getpid()}-{threading.get_ident()}.db"
    path.unlink(missing_ok=True)
    failures: list[BaseException] = []
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        bodies = pool.imap(_document, rows, chunksize=64)

        def work() -> None:
            try:
                _build_file(bodies, path)
            except BaseException as e:  # noqa: BLE001 - handed to the waiting caller
                failures.append(e)

        builder = threading.Thread(target=work, name="search-index", daemon=True)
        builder.start()

        def copy_into(db) -> None:
            """FTS5 keeps its index in ordinary tables: a table created empty, with nothing pending,
            takes them whole."""
            builder.join()
            if failures:
                raise RuntimeError(f"the search index could not be built: {failures[0]}")
            db.commit()
            db.execute("ATTACH DATABASE ? AS search", (str(path),))
            db.execute(CREATE)
            db.commit()
            for name in SHADOW_TABLES:
                db.execute(f"DELETE FROM main.[{FTS_TABLE}_{name}]")
                db.execute(f"INSERT INTO main.[{FTS_TABLE}_{name}] SELECT * FROM search.[{FTS_TABLE}_{name}]")
            db.commit()
            db.execute("DETACH DATABASE search")

        try:
            yield copy_into
        finally:
            pool.terminate()
            builder.join(timeout=60)
            path.unlink(missing_ok=True)


def _build_file(bodies, path: Path) -> None:
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(CREATE)
    with db:
        db.executemany(f"INSERT INTO [{FTS_TABLE}] (rowid, body) VALUES (?, ?)", bodies)
    db.close()


def index(db, rows) -> None:
    """Index (report id, title, text) rows directly (small archives, tests)."""
    db.executemany(f"INSERT INTO [{FTS_TABLE}] (rowid, body) VALUES (?, ?)", map(_document, rows))


def _document(row: tuple) -> tuple[int, str]:
    return row[0], document(row[1], row[2])


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
