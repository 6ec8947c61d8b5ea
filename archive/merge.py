"""One report from its sources: the page, its attachments and linked files, each extracted on its own.

The source whose tables hold the most readable values wins the tables (a page saying 详见附件 loses to
its PDF; a 图片版 read by OCR loses to a 全文版); the other sources with tables are compared with it
value by value and each comparison is a `sources.agree` check, so a PDF that disagrees with its HTML
page is visible. The text is every source's text, so search finds words that only an attachment has.
"""
from __future__ import annotations

import json
from dataclasses import asdict

from archive.versions import Version
from extract.contract import TABLES, Cells, ContractError, Report, table_values

ROLE_ORDER = {"page": 0, "file": 1, "attachment": 2}


def values(tables: dict) -> dict[tuple, float | int]:
    """Every non-null value of a merged report's tables, keyed by (table, row, column)."""
    return table_values(tables)


def _report(result: dict) -> Report | str:
    """An extraction result as the contract's report, or why it is not one (an error, another shape)."""
    if "error" in result:
        return result["error"]
    try:
        return Report.from_dict(result)
    except ContractError as e:
        return f"extraction result not readable: {e}"


def _richness(source: tuple) -> tuple:
    doc, report = source
    return (len(report.values()), not report.tables_as_images, -ROLE_ORDER.get(doc.role, 3))


def merge(version: Version, extracted: dict[str, dict]) -> dict:
    """`extracted` maps a document's extraction key to its result (see extraction.Job.key)."""
    sources = [(doc, _report(extracted.get(doc.extraction_key) or {"error": "not extracted"}))
               for doc in sorted(version.documents, key=lambda d: (ROLE_ORDER.get(d.role, 3), d.url))
               if doc.role != "picture"]
    readable = [(doc, r) for doc, r in sources if isinstance(r, Report)]
    page = next((doc for doc in version.documents if doc.role == "page"), None)
    main = page or (sources[0][0] if sources else version.documents[0])
    winner_doc, winner = max(readable, key=_richness) if readable else (main, None)
    warnings = [f"{doc.file_name or doc.url}: {r}" for doc, r in sources if isinstance(r, str)]
    warnings += list(winner.warnings if winner else [])
    checks = [asdict(c) for c in winner.checks] if winner else []
    checks += _agreement(winner_doc, winner, readable)
    texts = []
    for _, r in readable:
        if r.text and r.text.strip() and r.text not in texts:
            texts.append(r.text)
    published = next((r.published for d, r in readable if d is main and r.published), None)
    published = published or next((r.published for _, r in readable if r.published), None)
    others = sorted({d.sha256 for d in version.documents} - {winner_doc.sha256})
    return {
        "report_key": version.report_key,
        "version": version.version,
        "is_latest": version.is_latest,
        "site": main.site,
        "url": main.url,
        "title": main.title or (winner and winner.title),
        "agency": main.agency or (winner and winner.agency),
        "year": main.year or (winner and winner.year),
        "published": published,
        "table_format": winner and winner.table_format,
        "tables_as_images": bool(winner and winner.tables_as_images),
        "source_sha256": winner_doc.sha256,
        "attachment_sha256s": json.dumps(others),
        "first_seen": min(d.first_seen for d in version.documents),
        "last_seen": max(d.last_seen for d in version.documents),
        "text": "\n\n".join(texts),
        "warnings": warnings,
        "checks": checks,
        "tables": winner.tables if winner else {t: None for t in TABLES},
        "cells": asdict(winner.cells if winner else Cells()),
        "documents": version.documents,
    }


def _agreement(winner_doc, winner: Report | None, readable: list) -> list[dict]:
    if winner is None:
        return []
    ours = winner.values()
    checks = []
    for doc, report in readable:
        if doc is winner_doc:
            continue
        theirs = report.values()
        shared = sorted(set(ours) & set(theirs))
        if not shared:
            continue
        differ = [k for k in shared if ours[k] != theirs[k]]
        name = doc.file_name or doc.url.rsplit("/", 1)[-1]
        if differ:
            shown = "; ".join(f"{t} {r}/{c}: {ours[(t, r, c)]} ≠ {theirs[(t, r, c)]}" for t, r, c in differ[:5])
            more = f" (and {len(differ) - 5} more)" if len(differ) > 5 else ""
            message = f"{name} disagrees with the source used in {len(differ)} of {len(shared)} values: {shown}{more}"
        else:
            message = f"{name} agrees with the source used in all {len(shared)} values"
        checks.append({"rule": "sources.agree", "scope": name, "ok": not differ, "message": message})
    return checks
