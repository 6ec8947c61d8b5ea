"""Any portal: links whose titles look like annual reports, next-page links, attachment links.

The spider stops paging when a list page adds no link it has not seen, so a column whose pager cannot
be read still ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlparse

import lxml.html

REPORT_WORDS = re.compile(r"年报|年度报告|报告|信息公开|政务公开")
NEXT_WORDS = re.compile(r"^\s*(下一页|下页|后页|下一頁|>|›|»|next)\s*$", re.I)
FILE_TYPES = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "ofd", "zip", "rar", "jpg", "jpeg", "png", "gif", "tif", "tiff")
_FILE_LINK = re.compile(r"\.(" + "|".join(FILE_TYPES) + r")(\?|#|$)", re.I)


@dataclass
class Link:
    url: str
    title: str
    date: str | None = None


@dataclass
class Follow:
    """A further list page to read (a GET, or a POST with form fields)."""

    url: str
    method: str = "GET"
    form: dict | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class Listing:
    items: list[Link] = field(default_factory=list)
    follow: list[Follow] = field(default_factory=list)


def detect(text: str, url: str) -> bool:
    return True


_UTF8 = lxml.html.HTMLParser(encoding="utf-8")


def tree(text: str):
    """The page as an lxml tree (parsed from UTF-8 bytes: faster than from a Python string)."""
    try:
        return lxml.html.document_fromstring((text or "<html></html>").encode("utf-8"), parser=_UTF8)
    except (ValueError, lxml.etree.ParserError):
        return lxml.html.document_fromstring("<html></html>")


def link_title(a) -> str:
    title = (a.get("title") or "").strip()
    text = re.sub(r"\s+", "", a.text_content())
    return title if len(title) >= len(text) else text


def _date_near(a) -> str | None:
    parent = a.getparent()
    if parent is None:
        return None
    if len(parent) <= 8:  # a list item: the link and its date
        context = parent.text_content()
    else:  # one parent of many links (a page of bare links): its whole text per link would be quadratic
        following = a.getnext()
        context = (a.tail or "") + ((following.text_content() or "")[:100] if following is not None else "")
    m = re.search(r"(19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}", context)
    return m.group(0) if m else None


def report_links(root, url: str) -> list[Link]:
    """Links whose titles could be reports (the spider's classifier decides); navigation is left out."""
    links, seen = [], set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        title = link_title(a)
        if len(title) < 6 or not REPORT_WORDS.search(title):
            continue
        absolute = urljoin(url, href)
        if absolute not in seen:
            seen.add(absolute)
            links.append(Link(absolute, title, _date_near(a)))
    return links


def next_pages(root, url: str) -> list[Follow]:
    out = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith("javascript:") and NEXT_WORDS.match(a.text_content() or ""):
            out.append(Follow(urljoin(url, href)))
    return out


def parse_list(text: str, url: str) -> Listing:
    root = tree(text)
    return Listing(report_links(root, url), next_pages(root, url))


def parse_list_with(text: str, url: str, pages: list[Follow]) -> Listing:
    """The generic listing plus the pages a dialect's own pager names (each page once)."""
    listing = parse_list(text, url)
    seen = {f.url for f in listing.follow}
    listing.follow += [f for f in pages if f.url not in seen]
    return listing


def file_name_from_url(url: str) -> str:
    return unquote(urlparse(url).path.rsplit("/", 1)[-1])


def attachments(text: str, url: str, root=None) -> list[Link]:
    """Files the detail page links to: by extension, with the link text as the real name when it has one."""
    out, seen = [], set()
    for a in (root if root is not None else tree(text)).iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:")):
            continue
        absolute = urljoin(url, href)
        if _FILE_LINK.search(urlparse(absolute).path) and absolute not in seen:
            seen.add(absolute)
            out.append(Link(absolute, best_name(link_title(a), absolute)))
    return out


def best_name(text: str, url: str) -> str:
    """The real file name: the link text when it names a file, else the URL's last segment."""
    text = (text or "").strip()
    if _FILE_LINK.search(text):
        return text
    name = file_name_from_url(url)
    if text and "." in name:
        return f"{text}.{name.rsplit('.', 1)[-1]}"
    return name or text
