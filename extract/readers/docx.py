"""DOCX reports: body text in document order, tables as span-aware grids, pictures read by OCR.

python-docx repeats a merged cell in every grid position it covers, across columns and down rows. A
position is the same cell as its left or upper neighbour when their `_tc` elements are the same object
(`is`; an `id()` can be reused once a proxy is freed, so the previous row is kept referenced). Tables
nested in a cell are tables of their own.

A large document is read in bounded time and memory. The archive's declared sizes are checked first; then
only the main document part is inflated, in 1 MB steps, refused as soon as it outgrows what it declared or
the budget (a zip that lies about its sizes is a bomb: zipfile trusts the sizes and would inflate up to
2 GB at once before noticing). It is parsed as it inflates (lxml's pull parser, python-docx's element
classes): each paragraph and table of the body is read as soon as it ends and then dropped (and in a block
past 1 MB each run is cut down to its text as it ends), so the tree held is one block of the body. A block over MAX_BLOCK of
XML is skipped (what of it was parsed is dropped as the parser goes on) and the text kept stops at MAX_TEXT
characters (and the last TAIL, where the signature is), each with a warning: a partial result, never a
hang, and the tables after such a block are still read. Styles, headers and embedded pictures are never
inflated; pictures are, one at a time and at most MAX_PICTURES, only when the document's own tables do not
show the statistics tables and they are to be read by OCR.
"""
from __future__ import annotations

import collections
import posixpath
import struct
import zipfile
import zlib
from typing import Iterator

from extract.model import Cell, ExtractError, Parsed, Table, has_standard_tables
from extract.ocr import read_pictures

MAX_UNPACKED = 300 * 1024 * 1024
MAX_XML = 60 * 1024 * 1024
MAX_BLOCK = 8 * 1024 * 1024  # XML of one paragraph or table of the body (or of what lies between two)
MAX_TEXT = 1_000_000  # characters of text kept (a long report has some 50,000) …
TAIL = 20_000  # … and of its end, past that (where the signature and its date are)
MAX_PICTURES = 20  # OCR is ~10 CPU-seconds a page, as for an HTML page's pictures
STEP = 1024 * 1024  # bytes inflated at a time
PICTURES = ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff")
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _R, _BODY = _W + "p", _W + "tbl", _W + "r", _W + "body"
_RUN_TEXT = {_W + "t", _W + "tab", _W + "ptab", _W + "br", _W + "cr", _W + "noBreakHyphen"}
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def check_archive(data: bytes) -> dict[str, zipfile.ZipInfo]:
    """Every part of the DOCX by name, once the sizes the archive declares are plausible (nothing is
    inflated here); raises ExtractError for a declared zip bomb or a damaged archive."""
    import io

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ExtractError("a damaged DOCX (not a readable ZIP archive)") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED or any(i.file_size > MAX_XML and i.filename.endswith(".xml") for i in infos):
        raise ExtractError(f"a DOCX that would unpack to {unpacked // 2**20} MB (a zip bomb?), refused")
    if any(i.compress_size and i.file_size / i.compress_size > 1000 for i in infos if i.file_size > 10 * 2**20):
        raise ExtractError("a DOCX with an implausible compression ratio (a zip bomb?), refused")
    return {i.filename: i for i in infos if not i.is_dir()}


def _pieces(data: bytes, info: zipfile.ZipInfo, budget: int) -> Iterator[bytes]:
    """One part, inflated STEP by STEP from its raw bytes; never more than it declared, nor than `budget`.
    Its size and checksum are checked after the last piece."""
    if info.flag_bits & 0x1:
        raise ExtractError("an encrypted DOCX, which cannot be read")
    offset = info.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ExtractError("a damaged DOCX (a part is not where the archive says)")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    name = info.filename[:60]
    bomb = ExtractError(f"a DOCX whose part {name} inflates to more than it declares (a zip bomb?), refused")
    size, crc = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) > budget:
            raise bomb
        for at in range(0, len(raw), STEP):
            piece = bytes(raw[at:at + STEP])
            size += len(piece)
            crc = zlib.crc32(piece, crc)
            yield piece
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        pending = raw
        while True:
            try:
                piece = inflater.decompress(pending, STEP)
            except zlib.error:
                raise ExtractError(f"a damaged DOCX (its part {name} does not inflate)") from None
            size += len(piece)
            if size > info.file_size or size > budget:
                raise bomb
            crc = zlib.crc32(piece, crc)
            if piece:
                yield piece
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and not piece):
                break
        if not inflater.eof:
            raise ExtractError(f"a damaged DOCX (its part {name} is cut short)")
    else:
        raise ExtractError(f"a DOCX packed with an unusual compression (method {info.compress_type}), not read")
    if size != info.file_size:
        raise bomb if size > info.file_size else ExtractError(
            f"a damaged DOCX (its part {name} is shorter than it declares)")
    if crc != info.CRC:
        raise ExtractError(f"a damaged DOCX (its part {name} fails its checksum)")


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: int) -> bytes:
    return b"".join(_pieces(data, info, budget))


def _main_part(data: bytes, parts: dict[str, zipfile.ZipInfo]) -> zipfile.ZipInfo:
    """The main document part, as the package's relationships name it (word/document.xml as a rule)."""
    from lxml import etree

    name = "word/document.xml"
    rels = parts.get("_rels/.rels")
    if rels is not None:
        try:
            root = etree.fromstring(_inflate(data, rels, STEP),
                                    etree.XMLParser(resolve_entities=False, no_network=True))
            for relationship in root.iter(_RELS):
                if relationship.get("Type", "").endswith("/officeDocument") and not relationship.get("TargetMode"):
                    name = posixpath.normpath(relationship.get("Target", name)).lstrip("/")
                    break
        except (etree.XMLSyntaxError, ExtractError):
            pass
    if name not in parts:
        name = "word/document.xml"
    if name not in parts:
        raise ExtractError("a damaged DOCX (it has no main document part)")
    return parts[name]


def read_docx(data: bytes, ocr_pictures: bool = True) -> Parsed:
    parts = check_archive(data)
    body = _Body()
    body.read(_pieces(data, _main_part(data, parts), MAX_XML))
    lines, tables, warnings = body.lines, body.tables, body.warnings
    images: list[str] = []
    if not has_standard_tables(tables):
        media = [n for n in parts if n.startswith("word/media/") and n.lower().rsplit(".", 1)[-1] in PICTURES]
        if media and ocr_pictures:
            if len(media) > MAX_PICTURES:
                warnings.append(f"{len(media)} pictures in the document: only the first {MAX_PICTURES} were read")
            read = media[:MAX_PICTURES]
            found = read_pictures((_inflate(data, parts[n], MAX_UNPACKED) for n in read), read, warnings)
            tables += found.tables
            images = found.unread + media[MAX_PICTURES:]
            if found.text:
                lines.append(found.text)
        else:
            images = media
    text = "\n".join(line.strip() for line in lines if line.strip())
    return Parsed(text=text, tables=tables, images=images, warnings=warnings, media_type=MEDIA_TYPE)


class _Body:
    """The body of a main document part read as it streams in: its paragraphs' text and its tables, block by
    block (python-docx's `body.iterchildren()` order; blocks other than paragraphs and tables are skipped)."""

    def __init__(self):
        self.lines: list[str] = []
        self.tables: list[Table] = []
        self.warnings: list[str] = []
        self.kept = 0  # characters of text kept
        self.tail: collections.deque[str] = collections.deque()  # the last lines past MAX_TEXT
        self.tail_kept = 0
        self.root = None
        self.body = None
        self.skipping = None  # the block too large to read, being parsed
        self.fed = 0  # bytes of XML parsed so far
        self.block_start = 0  # bytes parsed when the block being read began

    def read(self, pieces: Iterator[bytes]) -> None:
        from docx.oxml.parser import element_class_lookup
        from lxml import etree

        parser = etree.XMLPullParser(events=("end",), tag=(_P, _TBL, _R),
                                     remove_blank_text=True, resolve_entities=False, no_network=True)
        parser.set_element_class_lookup(element_class_lookup)
        try:
            for piece in pieces:
                parser.feed(piece)
                self.fed += len(piece)
                self._events(parser.read_events())
                if self.fed - self.block_start > MAX_BLOCK:
                    self._skip()
            parser.close()
            self._events(parser.read_events())
        except etree.XMLSyntaxError as e:
            raise ExtractError(f"a damaged DOCX (XMLSyntaxError: {' '.join(str(e).split())[:200]})") from None
        self._finish()

    def _skip(self) -> None:
        """The block being parsed is too large to read: it is skipped, and what of it has been parsed is
        dropped now, all but the elements the parser is still in (the last child at each level)."""
        if self.body is None:
            if self.root is None:
                raise ExtractError(f"a DOCX whose body starts with more than {MAX_BLOCK // 2**20} MB of XML"
                                   " that is neither text nor table, not read")
            self.body = self.root.find(_BODY)
            if self.body is None:
                raise ExtractError("a damaged DOCX (its main part has no body)")
        if len(self.body) == 0:
            return
        block = self.body[-1]
        if self.skipping is None:
            self.skipping = block
            self.warnings.append(f"a paragraph or table of more than {MAX_BLOCK // 2**20} MB of XML was skipped")
        for done in list(block.itersiblings(preceding=True)):
            _drop(self.body, done)
        while len(block):
            for done in list(block[-1].itersiblings(preceding=True)):
                _drop(block, done)
            block = block[-1]

    def _events(self, events) -> None:
        for _, element in events:
            tag = element.tag
            if self.root is None:
                self.root = element.getroottree().getroot()
            if tag == _R:
                if self.fed - self.block_start > STEP:
                    _keep_text(element)  # a large block: keep only the text of its runs
                continue
            if self.body is None:
                parent = element.getparent()
                if parent is None or parent.tag != _BODY:
                    continue
                self.body = parent
            elif element.getparent() is not self.body:
                continue
            skipped, self.skipping = element is self.skipping, None
            if skipped:
                pass
            elif tag == _P:
                self._line(_paragraph_text(element))
            elif tag == _TBL:
                from docx.table import Table as DocxTable

                for rows in _tables(DocxTable(element, None)):
                    self.tables.append(Table(rows))
                    for row in rows:
                        self._line("\t".join(c.text for c in row))
            for done in [*element.itersiblings(preceding=True), element]:
                _drop(self.body, done)  # the block and whatever was skipped before it
            self.block_start = self.fed

    def _line(self, line: str) -> None:
        if self.kept <= MAX_TEXT:
            self.kept += len(line) + 1
            if self.kept <= MAX_TEXT:
                self.lines.append(line)
                return
            self.warnings.append(f"the text was cut at {MAX_TEXT:,} characters (its last {TAIL:,} are kept)")
        self.tail.append(line)  # the end of a long text: the signature and its date
        self.tail_kept += len(line) + 1
        while self.tail_kept > TAIL and len(self.tail) > 1:
            self.tail_kept -= len(self.tail.popleft()) + 1

    def _finish(self) -> None:
        self.lines.extend(self.tail)
        self.tail.clear()


def _drop(parent, element) -> None:
    """`element` out of the tree: emptied first, as lxml takes time quadratic in its size to move a large
    subtree out of its document."""
    element.clear()
    parent.remove(element)


def _keep_text(run) -> None:
    """A run cut down to what its text is made of (python-docx's `CT_R.text` reads only these children):
    its properties, drawings and field codes are dropped as soon as it ends."""
    for child in list(run):
        if child.tag not in _RUN_TEXT:
            _drop(run, child)


def _run_text(run) -> str:
    """python-docx's `CT_R.text`, without an XPath per run."""
    out = []
    for child in run:
        tag = child.tag
        if tag == _W + "t":
            out.append(child.text or "")
        elif tag == _W + "tab" or tag == _W + "ptab":
            out.append("\t")
        elif tag == _W + "br":
            out.append("\n" if child.get(_W + "type", "textWrapping") == "textWrapping" else "")
        elif tag == _W + "cr":
            out.append("\n")
        elif tag == _W + "noBreakHyphen":
            out.append("-")
    return "".join(out)


def _paragraph_text(p) -> str:
    """python-docx's `Paragraph.text`: its runs and its hyperlinks' runs, in order."""
    out = []
    for child in p:
        if child.tag == _R:
            out.append(_run_text(child))
        elif child.tag == _W + "hyperlink":
            out.extend(_run_text(r) for r in child if r.tag == _R)
    return "".join(out)


def _tables(table) -> list[list[list[Cell]]]:
    """This table's rows (each cell once, at its first grid row and column), then its nested tables'."""
    rows: list[list[Cell]] = []
    nested = []
    above: list = []
    for row in table.rows:
        cells = row.cells
        out = []
        emitted = None  # the _tc of the last cell placed in this row
        for col, cell in enumerate(cells):
            tc = cell._tc
            if col < len(above) and tc is above[col]._tc:
                continue  # a vertical merge continuing from the row above
            if tc is emitted:
                out[-1].x1 = col + 1  # a horizontal merge: the same cell one column wider
                continue
            out.append(Cell("\n".join(_paragraph_text(p) for p in tc if p.tag == _P).strip(), col, col + 1))
            emitted = tc
            nested.extend(cell.tables)
        above = cells
        if out:
            rows.append(out)
    result = [rows]
    for inner in nested:
        result.extend(_tables(inner))
    return result
