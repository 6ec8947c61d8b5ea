"""VSB 博达: count-down list pages (`nb.htm`, then `nb/N.htm` … `nb/1.htm`), `/info/…/….htm`
details, and downloads (`download.jsp?…wbfileid=…`) that answer only with the detail page as Referer."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from cms import generic
from cms.generic import Follow, Link, Listing

ARTICLE_MARKERS = [
    ("v_news_content", "//*[contains(@class, 'v_news_content')]", True),
    ("vsb_content", "//*[starts-with(@id, 'vsb_content')]", False),
]


def detect(text: str, url: str) -> bool:
    return any(mark in text for mark in ("v_news_content", "vsb_content", "_sitegray", "/system/resource/js/",
                                         "wbnewsid", "VsbJs", "vsbscreen"))


def pages(text: str, url: str) -> list[Follow]:
    """All pages of a count-down list: the column's own folder holds 1.htm … N.htm."""
    path = urlparse(url).path
    stem = re.sub(r"\.html?$", "", path.rsplit("/", 1)[-1])
    if re.fullmatch(r"\d+", stem):  # we are on a numbered page: the folder is the column
        folder = path.rsplit("/", 1)[0]
        stem = folder.rsplit("/", 1)[-1]
        base = urljoin(url, "./")
    else:
        base = urljoin(url, f"{stem}/")
    numbers = [int(n) for n in re.findall(rf"{re.escape(stem)}/(\d+)\.htm", text)]
    numbers += [int(n) for n in re.findall(r"""href=["'](\d+)\.htm["']""", text)]
    if not numbers:
        return []
    return [Follow(urljoin(base, f"{n}.htm")) for n in range(max(numbers), 0, -1)]


def parse_list(text: str, url: str) -> Listing:
    return generic.parse_list_with(text, url, pages(text, url))


def attachments(text: str, url: str, root=None) -> list[Link]:
    found = generic.attachments(text, url, root)
    seen = {link.url for link in found}
    for a in (root if root is not None else generic.tree(text)).iter("a"):
        href = a.get("href") or ""
        if "download.jsp" in href or "DownloadAttachUrl" in href:
            absolute = urljoin(url, href)
            if absolute not in seen:
                seen.add(absolute)
                found.append(Link(absolute, generic.link_title(a)))
    return found
