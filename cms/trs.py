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
    return ("createPageHTML" in text or "TRS_Editor" in text or ".trsapi" in text or bool(_COUNT_PAGE.search(text))
            or bool(re.search(r"/t\d{8}_\d+\.s?html?", text)))


# Another WCM template: `var countPage = 2//共多少页`, `var currentPage = 0`, and the links written by
# `document.write("<a href=\"index_" + nextPage + ".html\">下一页</a>")`.
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")
_WRITTEN_LINK = re.compile(r"""href=\\?["']([\w-]+)_["']\s*\+\s*\w+\s*\+\s*["']\.(s?html?)""")


def pages(text: str, url: str) -> list[Follow]:
    m = _PAGER.search(text)
    if m:
        count, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    elif (c := _COUNT_PAGE.search(text)):
        count = int(c.group(1))
        current = int(_CURRENT_PAGE.search(text).group(1)) if _CURRENT_PAGE.search(text) else 0
        written = _WRITTEN_LINK.search(text)
        stem, ext = (written.group(1), written.group(2)) if written else ("index", _extension(url))
    else:
        return []
    if current != 0:
        return []  # the column's first page (current page 0) already named every page
    return [Follow(urljoin(url, f"{stem}_{n}.{ext}")) for n in range(1, min(count, 10_000))]


def _extension(url: str) -> str:
    m = re.search(r"\.(s?html?)$", url.split("?")[0])
    return m.group(1) if m else "html"


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
