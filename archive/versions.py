"""Which documents make each version of a report.

The crawl records every report page and attachment by URL, with a new version of a URL whenever its
body changed. A report's versions follow those changes: version 1 is what the crawls held before the
first change, and each crawl run that changed any of its documents starts the next version, holding the
newest body of every URL seen by then. Nothing is ever dropped: a report no longer on its portal keeps
all its versions and is only marked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass
class Document:
    site: str
    report_key: str
    url: str
    title: str
    agency: str | None
    year: int | None
    role: str  # page, attachment, file, picture
    file_name: str | None
    parent_url: str | None
    version: int
    sha256: str
    first_seen: str
    last_seen: str
    run_id: int
    path: str = ""
    media_type: str | None = None
    extraction_key: str = ""


@dataclass
class Version:
    report_key: str
    version: int
    documents: list[Document]
    is_latest: bool


def report_versions(documents: list[Document]) -> list[Version]:
    by_key: dict[str, list[Document]] = defaultdict(list)
    for doc in documents:
        by_key[doc.report_key].append(doc)
    out = []
    for key in sorted(by_key):
        docs = sorted(by_key[key], key=lambda d: (d.run_id, d.url, d.version))
        changes = sorted({d.run_id for d in docs if d.version > 1})
        bounds = changes + [None]  # version i holds what was seen before bounds[i]
        for number, bound in enumerate(bounds, 1):
            newest: dict[str, Document] = {}
            for doc in docs:
                if bound is None or doc.run_id < bound:
                    newest[doc.url] = doc
            if newest:
                out.append(Version(key, number, list(newest.values()), bound is None))
    return out
