"""HTML report pages: the article among the page chrome, its text, its tables as span-aware grids, and
its pictures read by OCR when the tables are pictures.

The article is found by the markers the portals' CMSs leave (TRS `TRS_Editor`, `#zoom`, the
`ZJEG_RSS.content` comments of 浙江 sites, VSB/博达 `v_news_content`, 开普 `#UCAP-CONTENT`, …), and
failing those by where the page's non-link Chinese text is. The 索引号/发布机构/发布日期 block is page
metadata, read for the date and publisher and kept out of the body.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import lxml.html
from lxml import etree

from extract.encoding import decode
from extract.metadata import clean_title, parse_date
from cms import ARTICLE_MARKERS
from extract.model import Cell, ExtractError, Parsed, Table, has_standard_tables, names_standard_tables
from extract.ocr import fetch_picture, read_pictures

# CMS markers of the article body, most specific first (cms: each dialect carries its own).
_MARKERS = [(word, etree.XPath(xpath)) for word, xpath, _ in ARTICLE_MARKERS]
_CLASS_TOKENS = {word for word, _, whole_class in ARTICLE_MARKERS if whole_class}
_CELL_BREAKS = etree.XPath("//td//br | //td//p | //td//div | //th//br | //th//p | //th//div")
_CELLS_WITH_TABLES = etree.XPath("//td[.//table] | //th[.//table]")
_ZJEG = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I)
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
          "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "hr", "form", "header", "footer"}
_SKIP = {"script", "style", "noscript", "template", "select", "option", "button", "iframe", "object", "svg"}
_METADATA_KEYS = r"索\s*引\s*号|发布机构|发文机关|发布日期|成文日期|发文日期|生成日期|公开日期|主题分类|体裁分类|组配分类|公文种类|文\s*号|发文字号|信息来源|有效性|公开方式|公开范围|信息分类"
_METADATA_LINE = re.compile(rf"^\s*({_METADATA_KEYS})\s*[:：\t]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACES = re.compile(r"[^\S\n]+")  # runs of spaces within a line
MAX_SPAN = 200
MAX_PICTURES = 20  # OCR is ~10 CPU-seconds a page: a gallery must not take an hour


def read_html(data: bytes, location: str = "", content_type: str | None = None,
              ocr_pictures: bool = True, fetch=fetch_picture) -> Parsed:
    """`fetch` gives a picture's bytes by its address (the archive build hands in its raw store, so it
    never reaches the network)."""
    text, _ = decode(data, content_type)
    root, article = _parse(text)
    warnings: list[str] = []
    # Line breaks inside cells, marked once so a cell's text can be read by itertext (in C).
    for element in _CELL_BREAKS(article):
        element.tail = "\n" + (element.tail or "")
    nested = set(_CELLS_WITH_TABLES(article))
    grids = {t: _grid(t, nested) for t in article.iter("table")}
    tables = [Table(rows) for rows in grids.values() if rows]
    pictures = _pictures(article, location, warnings)
    images: list[str] = []
    ocr_text = ""
    if pictures and not has_standard_tables(tables):
        if ocr_pictures:
            found = read_pictures([fetch(p) for p in pictures], pictures, warnings)
            tables += found.tables
            images, ocr_text = found.unread, found.text
        else:
            images = pictures
    body = _text(article, grids)
    if ocr_text:
        body = body + "\n\n" + ocr_text
    return _parsed(root, body, tables, images, warnings)


def read_html_outline(text: str, location: str = "", root=None) -> Parsed:
    """What a crawler needs to decide about a page, without reading its tables: title, metadata, the
    article's text, and its pictures when the article has no statistics tables of its own. A tree the
    caller already parsed can be handed in."""
    root, article = _parse(text, root)
    warnings: list[str] = []
    pictures = _pictures(article, location, warnings)
    own_tables = names_standard_tables([t.text_content() for t in article.iter("table")])
    return _parsed(root, article.text_content(), [], [] if own_tables else pictures, warnings, title_only=True)


def _parse(text: str, root=None):
    """The page's tree (unless the caller parsed it already) and its article."""
    if root is None:
        try:
            root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_PARSER)
        except (etree.ParserError, ValueError) as e:
            raise ExtractError(f"unreadable HTML: {e}") from None
        if root is None:
            raise ExtractError("unreadable HTML: no document")
    return root, _find_article(root, _ZJEG.search(text), text)


def _pictures(article, location: str, warnings: list[str]) -> list[str]:
    pictures = [urljoin_location(location, src) for src in _picture_sources(article)]
    if len(pictures) > MAX_PICTURES:
        warnings.append(f"{len(pictures)} pictures in the article: only the first {MAX_PICTURES} were read")
        pictures = pictures[:MAX_PICTURES]
    return pictures


def _parsed(root, body: str, tables: list[Table], images: list[str], warnings: list[str],
            title_only: bool = False) -> Parsed:
    meta = _page_metadata(root, title_only)
    return Parsed(text=body, tables=tables, title=meta["title"], published=meta["published"], agency=meta["agency"],
                  images=images, warnings=warnings, media_type="text/html")


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)


def _find_article(root, zjeg: re.Match | None, source: str):
    if zjeg:
        fragment = lxml.html.fragment_fromstring(zjeg.group(1).encode("utf-8"), create_parent="div", parser=_PARSER)
        if _has_text(fragment):
            return fragment
    for word, xpath in _MARKERS:
        if word not in source:  # a substring search is far cheaper than an XPath over the tree
            continue
        for element in xpath(root):
            if word in _CLASS_TOKENS and word not in (element.get("class") or "").split():
                continue  # the XPath's contains() is coarse: these markers are whole class names
            if _has_text(element) or element.find(".//table") is not None:
                return element
    return _densest(root)


_FIFTY_CJK = re.compile(r"[\u3400-\u9fff](?:[^\u3400-\u9fff]*[\u3400-\u9fff]){49}")


def _has_text(element) -> bool:
    """At least 50 Chinese characters (found without counting them all)."""
    return _FIFTY_CJK.search(element.text_content()) is not None


def _densest(root):
    """Readability-style fallback: the deepest block that holds most of the page's non-link text."""
    body = root.find("body")
    body = body if body is not None else root
    counts: dict = {}
    walker = etree.iterwalk(body, events=("start", "end"))
    for action, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if action == "start":
            if not tag or tag in _SKIP or tag == "a":
                walker.skip_subtree()
            continue
        if not tag or tag in _SKIP or tag == "a":
            counts[el] = 0
            continue
        counts[el] = len(_CJK.findall(el.text or "")) + sum(
            counts.get(child, 0) + len(_CJK.findall(child.tail or "")) for child in el)
    page = counts.get(body, 0)
    if page == 0:
        return body
    best, best_depth = body, 0
    for el, count in counts.items():
        if el.tag in ("div", "td", "article", "section", "main") and count >= 0.7 * page:
            depth = sum(1 for _ in el.iterancestors())
            if depth > best_depth:
                best, best_depth = el, depth
    return best


def _flatten(top, on_table) -> str:
    """Text under `top` with block elements on lines of their own; tables handed to `on_table`."""
    parts: list[str] = []
    walker = etree.iterwalk(top, events=("start", "end"))
    for action, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if action == "start":
            if not tag or tag in _SKIP or tag == "table":
                if tag == "table" and el is not top:
                    parts.append(on_table(el))
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not top:
                parts.append(el.tail)
    return "".join(parts)


def _text(article, grids: dict) -> str:
    """The article's text: block elements on their own lines, table rows as tab-separated cells, no
    metadata block."""
    def table_text(table) -> str:
        return "\n" + "".join("\t".join(c.text for c in row) + "\n" for row in grids.get(table, []))

    lines = []
    for line in _flatten(article, table_text).replace("\xa0", " ").replace("\u3000", " ").split("\n"):
        line = re.sub(r"[ \r\f\v]+", " ", line).strip()
        if line and not (_METADATA_LINE.match(line) and len(line) < 120):
            lines.append(line)
    return "\n".join(lines)


def _cell_text(td, nested: set) -> str:
    """A cell's text without the text of tables nested in it (those are tables of their own); its
    line breaks were marked on the tails of its <br>, <p> and <div>."""
    if td in nested:
        text = _flatten(td, lambda table: "")
    else:
        text = "".join(td.itertext())
    text = _SPACES.sub(" ", text.replace("\xa0", " ").replace("\u3000", " "))
    if "\n" not in text:
        return text.strip()
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def _span(value: str | None) -> int:
    if not value:
        return 1
    if value.isdigit():
        return max(1, min(int(value), MAX_SPAN))
    m = re.match(r"\s*(\d+)", value)
    return max(1, min(int(m.group(1)), MAX_SPAN)) if m else 1


def _grid(table, nested: set) -> list[list[Cell]]:
    """Rows of the table's own cells, each with its grid columns: a cell spanning rows is placed once,
    in its first row, and pushes the cells of the rows below it to the right."""
    rows = []
    occupied: dict[int, set[int]] = {}
    trs = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    for r, tr in enumerate(trs):
        taken = occupied.setdefault(r, set())
        col = 0
        row = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while col in taken:
                col += 1
            colspan, rowspan = _span(td.get("colspan")), _span(td.get("rowspan"))
            row.append(Cell(_cell_text(td, nested), col, col + colspan))
            for dr in range(rowspan):
                occupied.setdefault(r + dr, set()).update(range(col, col + colspan))
            col += colspan
        occupied.pop(r, None)
        if row:
            rows.append(row)
    return rows


def _picture_sources(article) -> list[str]:
    sources = []
    for img in article.iter("img"):
        src = (img.get("src") or img.get("data-src") or img.get("oldsrc") or "").strip()
        width, height = _span(img.get("width")), _span(img.get("height"))
        if not src or (img.get("width") and img.get("height") and width * height < 100 * 60):
            continue
        if re.search(r"(icon|logo|spacer|blank|arrow|share|qrcode|ewm)", src, re.I):
            continue
        if src not in sources:
            sources.append(src)
    return sources


def urljoin_location(location: str, src: str) -> str:
    """A picture's address, resolved against the page's own location: a URL, or a local file's folder."""
    if src.startswith("data:") or re.match(r"^https?://", src):
        return src
    if re.match(r"^https?://", location):
        return urljoin(location, src)
    if src.startswith("file://"):
        return unquote(urlparse(src).path)
    base = Path(location).parent if location else Path(".")
    return str((base / unquote(src.split("?")[0].split("#")[0])).resolve())


def _page_metadata(root, title_only: bool = False) -> dict:
    meta = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").lower()
        if name and m.get("content"):
            meta.setdefault(name, m.get("content").strip())
    title = _page_title(root, meta)
    if title_only:
        return {"title": clean_title(title) if title else None, "published": None, "agency": None}
    page_text = _metadata_text(root)
    published = None
    for key in ("pubdate", "publishdate", "firstpublishedtime", "pubtime", "dc.date"):
        published = published or parse_date(meta.get(key))
    m = re.search(r"(发布日期|发布时间|成文日期|生成日期|公开日期|发文日期)\s*[:：]?\s*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})", page_text)
    if not published and m:
        published = parse_date(m.group(2))
    agency = meta.get("contentsource") or None
    m = re.search(rf"(发布机构|发文机关|发布单位)\s*[:：]?\s*([^\s:：]{{2,40}}?)(?=\s|$|[:：]|{_METADATA_KEYS})", page_text)
    if m:
        agency = m.group(2)
    return {"title": clean_title(title) if title else None, "published": published, "agency": agency}


def _page_title(root, meta: dict) -> str | None:
    """ArticleTitle / og:title, else a heading that names a report, else the <title> part that does."""
    title = meta.get("articletitle") or meta.get("og:title")
    if not title:
        for xpath in _TITLE_XPATHS:
            for el in xpath(root):
                t = clean_title(el.text_content())
                if 6 <= len(t) <= 120 and ("报告" in t or "年报" in t):
                    return t
    if not title:
        head_title = root.find(".//title")
        if head_title is not None and head_title.text:
            pieces = re.split(r"\s*[_|]\s*|\s+-\s+", head_title.text.strip())
            title = next((p for p in pieces if "报告" in p or "年报" in p), pieces[0])
    return title


_TITLE_XPATHS = [etree.XPath("//h1"), etree.XPath("//*[contains(@class, 'title') or contains(@id, 'title')]")]


def _metadata_text(root) -> str:
    """The stretches of page text around the keys of a 索引号/发布机构 block, whatever element holds it."""
    text = root.text_content()
    chunks = [text[m.start(): m.start() + 80] for m in re.finditer(r"发布机构|发文机关|发布单位|发布日期|发布时间|成文日期|生成日期|公开日期|发文日期", text)]
    return " ".join(re.sub(r"\s+", " ", c) for c in chunks[:40])
