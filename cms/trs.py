"""TRS WCM (拓尔思): static list pages named by `createPageHTML`, `t20240120_123.html` details, and
attachments as relative `P0…`/`W0…` links or in script arrays (`var apps1 = ['<a href=…>…</a>']`)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

from cms import generic
from cms.generic import Follow, Link, Listing

# createPageHTML(5, 0, "index", "html")  /  createPageHTML('page_div', 5, 0, 'list', 'shtml', 98)
_PAGER = re.compile(r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,"
                    r"\s*['\"](\w+)['\"]")
_SCRIPT_LINK = re.compile(r"""href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>([^<]*)<""")
_APPS = re.compile(r"var\s+apps?\w*\s*=\s*\[(.*?)\]\s*;", re.S)
# The article on a detail page: (a word the source must contain, XPath, the word is a whole class name).
ARTICLE_MARKERS = [
    ("TRS_Editor", "//*[contains(@class, 'TRS_Editor')]", True),
    ("TRS_UEDITOR", "//*[contains(@class, 'TRS_UEDITOR')]", False),
    ("zoom", "//*[@id='zoom']", False),
    ("Custom_UnionStyle", "//*[contains(@class, 'Custom_UnionStyle')]", False),
]


def detect(text: str, url: str) -> bool:
    return ("createPageHTML" in text or "TRS_Editor" in text or ".trsapi" in text or "maxStaticIndex" in text
            or bool(_COUNT_PAGE.search(text))
            or bool(re.search(r"/t\d{8}_\d+\.s?html?", text)))


# Another WCM template: `var countPage = 2//共多少页`, `var currentPage = 0`, and the links written by
# `document.write("<a href=\"index_" + nextPage + ".html\">下一页</a>")`.
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")
_WRITTEN_LINK = re.compile(r"""href=\\?["']([\w-]+)_["']\s*\+\s*\w+\s*\+\s*["']\.(s?html?)""")


# Newer WCM templates configure a pager object: `new Pager({size: 5, current: 0, prefix: 'index', suffix: 'html'})`.
_PAGER_OBJECT = re.compile(r"\bPager\s*\(\s*\{([^{}]+)\}\s*\)")
# TRS 「动静结合」: the first maxStaticIndex + 1 pages are static files; the rest of the column (recordCount items,
# prepage a page) exists only through a script that calls the dynamic service (list2.trsapi).
_STATIC_INDEX = re.compile(r"\bmaxStaticIndex\s*[:=]\s*['\"]?(\d+)")
_PER_PAGE = re.compile(r"\bprepage\s*[:=]\s*['\"]?(\d+)")


def _option(config: str, name: str) -> str | None:
    m = re.search(rf"\b{name}\s*:\s*['\"]?([\w-]+)['\"]?", config)
    return m.group(1) if m else None


def pages(text: str, url: str) -> list[Follow]:
    m = _PAGER.search(text)
    pager = _PAGER_OBJECT.search(text)
    if m:
        count, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    elif pager and (_option(pager.group(1), "size") or "").isdigit():
        config = pager.group(1)
        count, current = int(_option(config, "size")), int(_option(config, "current") or 0)
        stem, ext = _option(config, "prefix") or "index", _option(config, "suffix") or _extension(url)
    elif (c := _COUNT_PAGE.search(text)):
        count = int(c.group(1))
        current = int(_CURRENT_PAGE.search(text).group(1)) if _CURRENT_PAGE.search(text) else 0
        written = _WRITTEN_LINK.search(text)
        stem, ext = (written.group(1), written.group(2)) if written else ("index", _extension(url))
    else:
        return []
    if current != 0:
        return []  # the column's first page (current page 0) already named every page
    static = _STATIC_INDEX.search(text)
    if static:  # 动静结合: only the static pages are files
        count = min(count, int(static.group(1)) + 1)
    return [Follow(urljoin(url, f"{stem}_{n}.{ext}")) for n in range(1, min(count, 10_000))]


def dynamic_part(text: str) -> str | None:
    """Why a 动静结合 column holds more than its static pages (they are read as files; the rest is rendered), or
    None."""
    static, per_page, total = _STATIC_INDEX.search(text), _PER_PAGE.search(text), generic.stated_total(text)
    if not (static and per_page and total):
        return None
    shown = (int(static.group(1)) + 1) * int(per_page.group(1))
    if total <= shown:
        return None
    return (f"the list states {total} items and its static pages hold {shown}; the rest is built by script "
            "(TRS 动静结合)")


def _extension(url: str) -> str:
    m = re.search(r"\.(s?html?)$", url.split("?")[0])
    return m.group(1) if m else "html"


def parse_list(text: str, url: str) -> Listing:
    listing = generic.parse_list_with(text, url, pages(text, url))
    listing.scripted = dynamic_part(text) or listing.scripted
    return listing


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
