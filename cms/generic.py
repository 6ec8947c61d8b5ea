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
# Article containers many CMSs share (开普 UCAP, the gov.cn templates, common editors), after the dialects' own.
ARTICLE_MARKERS = [
    ("UCAP-CONTENT", "//*[@id='UCAP-CONTENT']", False),
    ("article_content", "//*[contains(@class, 'article_content')]", True),
    ("pages_content", "//*[contains(@class, 'pages_content')]", True),
    ("ontent", "//*[@id='content' or @id='Content' or @id='NewsContent']", False),
    ("article", "//*[@id='article']", False),
    ("fontzoom", "//*[@id='fontzoom']", False),
    ("article-content", "//*[contains(@class, 'article-content')]", True),
    ("news_content", "//*[contains(@class, 'news_content')]", True),
    ("wzcon", "//*[contains(@class, 'wzcon')]", True),
]


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
    scripted: str | None = None  # why the list is built by script with no endpoint known: render it to read it


# A list's own statement of how many items it has (a script pager's recordCount, 共 N 条): more than the page
# shows and no pager to follow means the rest is built by script.
_STATED_TOTAL = re.compile(r"(?:recordCount|totalRecord|totalCount|total_count|totalNum)\s*[:=]\s*['\"]?(\d{1,6})"
                           r"|共\s*(\d{1,6})\s*条", re.I)
# Lists and pagers written by script: the markers of the known forms.
_SCRIPT_LISTS = re.compile(r"\.trsapi|动静结合|unitbuild|jpage|document\.write\([^)]*(?:下一页|page)|ms-repeat|v-for=", re.I)


def stated_total(text: str) -> int | None:
    found = [int(a or b) for a, b in _STATED_TOTAL.findall(text)]
    return max(found) if found else None


def scripted(text: str, listing: "Listing") -> str | None:
    """Why this list page shows less than its column holds and names no further page to read, or None: its
    stated total is larger than the items it shows, or a script builds its list or pager."""
    if listing.follow:
        return None
    total = stated_total(text)
    if total is not None and total > len(listing.items):
        return f"the list states {total} items and shows {len(listing.items)}"
    marker = _SCRIPT_LISTS.search(text)
    if marker and total is None:
        return f"its list is built by script ({marker.group(0)[:20]})"
    return None


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


_CHROME_TAGS = {"nav", "header", "footer", "aside"}
_CHROME = re.compile(r"(^|[-_\s])(nav|navbar|menu|menus|header|head|footer|foot|top|bottom|banner|crumbs?|breadcrumb|"
                     r"daohang|dh|sidebar|side|copyright|friend|links?|yqlj)([-_\s\d]|$)", re.I)
_LISTS = {"ul", "ol", "table", "tbody", "dl"}


def _in_chrome(a) -> bool:
    """Inside the page's navigation, header, footer or side menu (by tag, or by its id and class names)."""
    for element in a.iterancestors():
        if element.tag in _CHROME_TAGS:
            return True
        names = f"{element.get('id') or ''} {element.get('class') or ''}"
        if names.strip() and _CHROME.search(names):
            return True
    return False


def _list_blocks(dated: list) -> set:
    """The elements that hold the column's list: for each dated link, its nearest ancestor holding another
    dated link (a column's items carry dates; menus, headers and footers do not); a lone dated link's
    nearest list element."""
    counts: dict = {}
    for a in dated:
        for element in a.iterancestors():
            counts[element] = counts.get(element, 0) + 1
    blocks = set()
    for a in dated:
        ancestors = list(a.iterancestors())
        shared = next((e for e in ancestors if counts[e] >= 2), None)
        if shared is None or len(dated) == 1:
            shared = next((e for e in ancestors if e.tag in _LISTS), a.getparent())
        blocks.add(shared)
    return blocks


def report_links(root, url: str) -> list[Link]:
    """Links whose titles could be reports (the spider's classifier decides), taken from the column's list
    only: where the page dates its items, from the elements that hold the dated items; otherwise from
    everything outside the navigation, header, footer and side menus. A menu entry named 政府信息公开年报 is
    never a report candidate."""
    candidates, seen = [], set()
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
            candidates.append((a, Link(absolute, title, _date_near(a))))
    dated = [a for a, link in candidates if link.date]
    if dated:
        blocks = _list_blocks(dated)
        return [link for a, link in candidates if link.date or any(e in blocks for e in a.iterancestors())]
    return [link for a, link in candidates if not _in_chrome(a)]


def next_pages(root, url: str) -> list[Follow]:
    out = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith("javascript:") and NEXT_WORDS.match(a.text_content() or ""):
            out.append(Follow(urljoin(url, href)))
    return out


def parse_list(text: str, url: str) -> Listing:
    root = tree(text)
    listing = Listing(report_links(root, url), next_pages(root, url))
    listing.scripted = scripted(text, listing)
    return listing


def parse_list_with(text: str, url: str, pages: list[Follow]) -> Listing:
    """The generic listing plus the pages a dialect's own pager names (each page once)."""
    listing = parse_list(text, url)
    seen = {f.url for f in listing.follow}
    listing.follow += [f for f in pages if f.url not in seen]
    if listing.follow:
        listing.scripted = None
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
