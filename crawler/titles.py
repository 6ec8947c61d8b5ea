"""Is a link or a page an annual report? Decided by its title (and text) with the extractor's own classifier,
so the crawler fetches what the extractor will read and skips what it would reject. No Scrapy here: the
classifier is plain knowledge, tested on its own."""
from __future__ import annotations

import re

from extract import metadata

# The extractor's non-report words, and any 方案 (a link so titled is not worth fetching).
_NOT_REPORT = re.compile(metadata.NOT_REPORT.pattern + "|方案")


def names_a_report(title: str, text: str = "") -> bool:
    """An annual report by its title (and text), which names the year: a column's own page
    ("政府信息公开年报") does not."""
    clean = metadata.clean_title(title)
    return metadata.is_annual_report(clean, text) and metadata.report_year(clean, "") is not None


def classify_title(title: str) -> str:
    """'report', 'not' (skip unread) or 'maybe' (decide from the page)."""
    if names_a_report(title):
        return "report"
    if _NOT_REPORT.search(metadata.clean_title(title)):
        return "not"
    return "maybe"
