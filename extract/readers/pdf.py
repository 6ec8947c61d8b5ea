"""PDF reports: pypdfium2 for the characters and ruling lines, pdfplumber's table finder for the cells.

pdfplumber's own page parsing (pdfminer) costs ~0.12 s a page, about 15× pypdfium2, so the characters,
their boxes and the path segments come from pdfium, and pdfplumber's `TableFinder` (default `lines`
strategy: Word and WPS draw borders as thin rectangles, LibreOffice as lines) turns those edges into
cells, run only on pages whose text shows a statistics table. Characters printed twice for fake bold are
deduplicated with pdfplumber's `dedupe_chars`. A page whose text fails the quality gate (no characters,
unmapped glyphs, no word a report uses) is rendered and read by OCR. A table without rulings is rebuilt
from word positions, like OCR output.
"""
from __future__ import annotations

import bisect
import ctypes
import re
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import TableFinder, TableSettings
from pdfplumber.utils import dedupe_chars

from extract.model import Cell, ExtractError, Parsed, Table
from extract.ocr import Box, boxes_to_bands, read_picture

TABLE_MARKS = ("信息内容", "本年新收", "上年结转", "行政复议", "第二十条", "申请人情况", "不予公开", "结转下年")
REPORT_WORDS = ("公开", "信息", "政府", "申请", "工作", "情况", "报告")
MAX_OCR_PAGES = 15
MAX_PAGES = 300
_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
_PAGE_NUMBER = re.compile(r"^\s*([-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)\s*$")


@dataclass
class _Page:
    chars: list[dict]  # deduplicated, pdfplumber-style dicts (top-left origin)
    text: str
    width: float
    height: float


def read_pdf(data: bytes) -> Parsed:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise ExtractError("an encrypted PDF: it needs a password to open") from None
        raise ExtractError(f"a damaged PDF that cannot be opened ({e})") from None
    warnings: list[str] = []
    tables: list[Table] = []
    texts: list[str] = []
    ocr_budget = MAX_OCR_PAGES
    count = len(pdf)
    if count == 0:
        raise ExtractError("a PDF with no pages")
    if count > MAX_PAGES:
        warnings.append(f"only the first {MAX_PAGES} of {count} pages were read")
    for index in range(min(count, MAX_PAGES)):
        try:
            page = pdf[index]
            content = _read_page(page)
        except pdfium.PdfiumError as e:
            warnings.append(f"page {index + 1}: unreadable ({e})")
            continue
        if not _passes_gate(content):
            if ocr_budget == 0:
                warnings.append(f"page {index + 1}: no usable text and the OCR budget is spent, skipped")
                continue
            ocr_budget -= 1
            table, text = read_picture(_render(page))
            tables.append(table)
            texts.append(text)
            continue
        texts.append(content.text)
        if any(mark in re.sub(r"\s", "", content.text) for mark in TABLE_MARKS):
            tables.extend(_page_tables(page, content))
    pdf.close()
    text = "\n".join(t for t in texts if t)
    if not text.strip() and not tables:
        raise ExtractError("a PDF with no readable text")
    return Parsed(text=text, tables=tables, warnings=warnings, media_type="application/pdf")


def _render(page) -> bytes:
    """The page as a picture: a scan's own image at its native resolution when the page is one image
    (re-rendering resamples it, and OCR then misreads digits), else the page rendered at 180 dpi."""
    import io

    image = None
    pictures = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1))
    if len(pictures) == 1:
        try:
            image = pictures[0].get_bitmap(render=False).to_pil()
        except pdfium.PdfiumError:
            image = None
        if image is not None and image.width < 800:
            image = None
    if image is None:
        image = page.render(scale=2.5).to_pil()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _read_page(page) -> _Page:
    width, height = page.get_size()
    textpage = page.get_textpage()
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    box = pdfium_c.FS_RECTF()
    chars, stream = [], []
    for i in range(n):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        ch = chr(code) if code else ""
        if pdfium_c.FPDFText_IsGenerated(raw, i) or ch in ("\r", "\n") or not ch:
            stream.append((ch, None))
            continue
        # The loose box spans the font's ascent and descent, so a line's characters share one height
        # (tight boxes put "." and "、" on lines of their own).
        pdfium_c.FPDFText_GetLooseCharBox(raw, i, box)
        char = {"text": ch, "x0": box.left, "x1": box.right, "top": height - box.top,
                "bottom": height - box.bottom, "upright": True, "size": box.top - box.bottom}
        char["doctop"] = char["top"]
        chars.append(char)
        stream.append((ch, char))
    kept = {id(c) for c in _dedupe(chars)}
    text = "".join(ch for ch, char in stream if char is None or id(char) in kept)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_squeeze(line) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line and not _PAGE_NUMBER.match(line))
    textpage.close()
    return _Page([c for c in chars if id(c) in kept], text, width, height)


def _dedupe(chars: list[dict]) -> list[dict]:
    """Fake bold prints a character twice at (almost) the same place. pdfplumber's `dedupe_chars` finds
    them, but ends in a sort that is quadratic in the page's characters, so it is given only the
    characters that have a same-text neighbour within a point."""
    keys = [(c["text"], round(c["x0"]), round(c["top"])) for c in chars]
    seen = Counter(keys)
    suspects = [c for c, (t, x, y) in zip(chars, keys)
                if seen[(t, x, y)] > 1 or any((t, x + dx, y + dy) in seen for dx, dy in _NEIGHBOURS)]
    if not suspects:
        return chars
    kept = {id(c) for c in dedupe_chars(suspects, tolerance=1, extra_attrs=None)}
    suspect_ids = {id(c) for c in suspects}
    return [c for c in chars if id(c) not in suspect_ids or id(c) in kept]


def _squeeze(line: str) -> str:
    """No spaces between CJK characters (justified text is spaced out); spaces between digits stay."""
    line = re.sub(r"[ \t\u3000\xa0]+", " ", line).strip()
    return re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", line)


def _passes_gate(page: _Page) -> bool:
    """Usable text: enough characters, few unmapped glyphs, and words a report uses."""
    text = page.text
    if len(text.strip()) < 20:
        return False
    if "(cid:" in text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or (ord(ch) < 32 and ch not in "\n\t"))
    if bad > 0.1 * len(text):
        return False
    if len(text) > 150 and not any(word in text for word in REPORT_WORDS):
        return False
    return True


# --- tables -----------------------------------------------------------------------------------------

_SETTINGS = TableSettings.resolve({"vertical_strategy": "lines", "horizontal_strategy": "lines"})


class _EdgePage:
    """What pdfplumber's TableFinder reads from a page: its bbox and its edges."""

    def __init__(self, edges: list[dict], width: float, height: float):
        self.edges = edges
        self.bbox = (0, 0, width, height)


def _page_tables(page, content: _Page) -> list[Table]:
    """Ruled tables through pdfplumber's finder; whatever lies outside them (a table drawn without
    lines, or the unruled part of one) as rows rebuilt from word positions; all in page order."""
    edges = _edges(page, content.height)
    placed: list[tuple[float, Table]] = []
    boxes_taken = []
    if edges:
        by_middle = sorted(content.chars, key=lambda c: (c["top"] + c["bottom"]) / 2)
        middles = [(c["top"] + c["bottom"]) / 2 for c in by_middle]
        for found in TableFinder(_EdgePage(edges, content.width, content.height), _SETTINGS).tables:
            rows = []
            for row in found.rows:
                boxes = [bbox for bbox in row.cells if bbox]
                if not boxes:
                    continue
                top, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
                near = by_middle[bisect.bisect_left(middles, top): bisect.bisect_left(middles, bottom)]
                cells = [Cell(_cell_text(near, bbox), bbox[0], bbox[2]) for bbox in boxes]
                if cells:
                    rows.append(cells)
            if rows and max(len(r) for r in rows) >= 2:
                placed.append((found.bbox[1], Table(rows)))
                boxes_taken.append(found.bbox)
    outside = [c for c in content.chars if not any(_inside(c, bbox) for bbox in boxes_taken)]
    words = [(top, cells) for top, cells in boxes_to_bands(_words(outside))]
    items = sorted([(top, table) for top, table in placed] + words, key=lambda item: item[0])
    tables: list[Table] = []
    run: list[list[Cell]] = []  # consecutive rows rebuilt from words form one table
    for _, item in items:
        if isinstance(item, Table):
            if run:
                tables.append(Table(run))
                run = []
            tables.append(item)
        else:
            run.append(item)
    if run:
        tables.append(Table(run))
    return tables


def _inside(char: dict, bbox) -> bool:
    x0, top, x1, bottom = bbox
    return x0 <= (char["x0"] + char["x1"]) / 2 <= x1 and top <= (char["top"] + char["bottom"]) / 2 <= bottom


# The widest inner margin a table cell usually has on each side (Word's and WPS's default is 0.19 cm, 5.4 pt).
CELL_PADDING = 6.0
_NUMBER_LINE = re.compile(r"[0-9０-９,，.．]+")


def _cell_text(chars: list[dict], bbox) -> str:
    x0, top, x1, bottom = bbox
    inside = [c for c in chars
              if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom]
    lines = _lines(inside)
    texts = [_line_text(line) for line in lines]
    if len(lines) > 1 and _wrapped_number(lines, texts, x1 - x0):
        return "".join(texts)
    return "\n".join(texts)


def _wrapped_number(lines: list[list[dict]], texts: list[str], width: float) -> bool:
    """Whether a cell's lines are one number wrapped by its box: each line is digits only, and each line but
    the last was too full to take the next line's first digit (a number too wide for its column wraps;
    two numbers set on two lines in one cell leave the first line short)."""
    if not all(_NUMBER_LINE.fullmatch(t) for t in texts):
        return False
    room = width - 2 * CELL_PADDING
    for line, following in zip(lines, lines[1:]):
        used = line[-1]["x1"] - line[0]["x0"]
        if used + (following[0]["x1"] - following[0]["x0"]) <= room:
            return False
    return True


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into lines: a character joins the line whose vertical band holds its middle."""
    lines: list[list[dict]] = []
    band = (0.0, 0.0)
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        middle = (c["top"] + c["bottom"]) / 2
        if lines and band[0] <= middle <= band[1]:
            lines[-1].append(c)
            band = (band[0], max(band[1], c["bottom"]))
        else:
            lines.append([c])
            band = (c["top"], c["bottom"])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _line_text(line: list[dict]) -> str:
    out = ""
    for prev, c in zip([None] + line, line):
        if prev is not None and c["x0"] - prev["x1"] > 0.4 * max(c["size"], 1) and not out.endswith(" "):
            out += " "
        out += c["text"]
    return _squeeze(out)


def _words(chars: list[dict]) -> list[Box]:
    """Words (runs of characters without a wide gap) as boxes, for tables drawn without lines."""
    words = []
    for line in _lines(chars):
        current: list[dict] = []
        for c in line:
            gap = c["x0"] - current[-1]["x1"] if current else 0
            switch = current and _numeric(c["text"]) != _numeric(current[-1]["text"])
            if current and (gap > 0.8 * max(c["size"], 1) or (switch and gap > 0.25 * max(c["size"], 1))
                            or c["text"] == " "):
                words.append(current)
                current = []
            if c["text"] != " ":
                current.append(c)
        if current:
            words.append(current)
    return [Box("".join(c["text"] for c in w), min(c["x0"] for c in w), min(c["top"] for c in w),
                max(c["x1"] for c in w), max(c["bottom"] for c in w)) for w in words]


def _numeric(ch: str) -> bool:
    """Digits and what belongs to a number or to numbering ("5." stays with its label)."""
    return ch.isdigit() or ch in ".,%-"


def _edges(page, height: float) -> list[dict]:
    """Horizontal and vertical ruling segments of the page's paths, as pdfplumber edges."""
    edges = []
    matrix = pdfium_c.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=1):
        raw = obj.raw
        if not pdfium_c.FPDFPageObj_GetMatrix(raw, matrix):
            continue
        a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
        points: list[tuple[float, float, int, bool]] = []
        for i in range(pdfium_c.FPDFPath_CountSegments(raw)):
            seg = pdfium_c.FPDFPath_GetPathSegment(raw, i)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            px, py = a * x.value + c * y.value + e, b * x.value + d * y.value + f
            points.append((px, height - py, pdfium_c.FPDFPathSegment_GetType(seg), bool(pdfium_c.FPDFPathSegment_GetClose(seg))))
        start = None
        prev = None
        for px, py, kind, closes in points:
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = prev = (px, py)
                continue
            if prev is not None and kind == pdfium_c.FPDF_SEGMENT_LINETO:
                edges.extend(_segment_edges(prev, (px, py)))
            prev = (px, py)
            if closes and start is not None:
                edges.extend(_segment_edges(prev, start))
    return edges


def _segment_edges(p, q) -> list[dict]:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 1 and abs(x1 - x0) >= 1:
        left, right = sorted((x0, x1))
        top = (y0 + y1) / 2
        return [{"x0": left, "x1": right, "top": top, "bottom": top, "width": right - left, "height": 0,
                 "orientation": "h", "object_type": "line"}]
    if abs(x0 - x1) < 1 and abs(y1 - y0) >= 1:
        top, bottom = sorted((y0, y1))
        left = (x0 + x1) / 2
        return [{"x0": left, "x1": left, "top": top, "bottom": bottom, "width": 0, "height": bottom - top,
                 "orientation": "v", "object_type": "line"}]
    return []
