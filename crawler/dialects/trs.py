"""TRS WCM (拓尔思): static list pages named by `createPageHTML`, `t20240120_123.html` details, and
attachments as relative `P0…`/`W0…` links or in script arrays (`var apps1 = ['<a href=…>…</a>']`)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.dialects import generic
from crawler.dialects.generic import Follow, Link, Listing

# createPageHTML(5, 0, "index", "html")  /  createPageHTML('page_div', 5, 0, 'list', 'shtml', 98)
_PAGER = re.compile(r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,"
                    r"\s*['\"](\w+)['\"]")
_SCRIPT_LINK = re.compile(r"""href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>([^<]*)<""")
_APPS = re.compile(r"var\s+apps?\w*\s*=\s*\[(.*?)\]\s*;", re.S)


def detect(text: str, url: str) -> bool:
    return "createPageHTML" in text or "TRS_Editor" in text or bool(re.search(r"/t\d{8}_\d+\.s?html?", text))


def pages(text: str, url: str) -> list[Follow]:
    m = _PAGER.search(text)
    if not m:
        return []
    count, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    if current != 0:
        return []  # the column's first page (current page 0) already named every page
    return [Follow(urljoin(url, f"{stem}_{n}.{ext}")) for n in range(1, count)]


def parse_list(text: str, url: str) -> Listing:
    return generic.parse_list_with(text, url, pages(text, url))


def attachments(text: str, url: str, root=None) -> list[Link]:
    found = generic.attachments(text, url, root)
    seen = {link.url for link in found}
    for block in _APPS.findall(text):
        for href, label in _SCRIPT_LINK.findall(block):
            absolute = urljoin(url, href)
            if absolute not in seen:
                seen.add(absolute)
                found.append(Link(absolute, generic.best_name(label, absolute)))
    return found
