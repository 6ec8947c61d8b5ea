"""Full-text search that finds any Chinese substring, one character and up.

SQLite's FTS5 tokenizers do not segment Chinese (unicode61 makes a whole run of Hanzi one token; trigram
finds nothing under three characters; a word segmenter such as jieba misses substrings like 健康委). So
the index is fed text already cut into tokens: every character is a token, except that a run of Latin
letters stays one word. A query is cut the same way and becomes a phrase, so 健康委 matches exactly the
texts where 健, 康, 委 stand side by side.

The FTS table is contentless (the text lives once, in `reports`) and Datasette is told to use it through
the table's `fts_table`/`fts_pk` metadata; `tokens()` is registered over Datasette's own `escape_fts`
by the site plugin, so the search box and the JSON API (`?_search=`) both work.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Za-z]+|[^\sA-Za-z\"'()*:^+\-.,;!?，。、；：？！（）《》“”‘’【】…—]")
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')

FTS_TABLE = "reports_fts"
CREATE = (f"CREATE VIRTUAL TABLE [{FTS_TABLE}] USING fts5(title, text, content='',"
          " tokenize='unicode61 remove_diacritics 0')")


def tokens(text: str | None) -> str:
    """The text as space-separated tokens for the index."""
    return " ".join(_TOKEN.findall(text or ""))


def match_expression(query: str | None) -> str:
    """A user's query as an FTS5 expression: each word (or "quoted phrase") a phrase of its tokens, all
    of them required. A query with nothing searchable matches nothing rather than failing."""
    phrases = []
    for quoted, word in _QUOTED.findall(query or ""):
        cut = tokens(quoted or word)
        if cut:
            phrases.append('"' + cut.replace('"', "") + '"')
    return " AND ".join(phrases) if phrases else '""'


def index(db, rows) -> None:
    """Add (report id, title, text) rows to the index."""
    db.executemany(f"INSERT INTO [{FTS_TABLE}] (rowid, title, text) VALUES (?, ?, ?)",
                   ((id_, tokens(title), tokens(text)) for id_, title, text in rows))


def snippet(text: str | None, query: str | None, width: int = 60) -> list[tuple[str, bool]]:
    """Where the query's first word occurs in the text, as (piece, is_match) pairs around it, for a
    results page to mark up (escaped) itself."""
    text = text or ""
    words = [quoted or word for quoted, word in _QUOTED.findall(query or "")]
    for word in words:
        at = text.find(word)
        if at >= 0:
            start, end = max(0, at - width), min(len(text), at + len(word) + width)
            pieces = [("…" if start else "") + text[start:at], ]
            rest = text[at:end]
            for part in re.split(f"({re.escape(word)})", rest):
                if part:
                    pieces.append(part)
            out = [(p, p in words) for p in pieces if p]
            if end < len(text):
                out.append(("…", False))
            return out
    return [(text[: 2 * width] + ("…" if len(text) > 2 * width else ""), False)]
