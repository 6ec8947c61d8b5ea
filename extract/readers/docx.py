"""DOCX reports: body text in document order, tables as span-aware grids, pictures read by OCR.

python-docx repeats a merged cell in every grid position it covers, across columns and down rows. A
position is the same cell as its left or upper neighbour when their `_tc` elements are the same object
(`is`; an `id()` can be reused once a proxy is freed, so the previous row is kept referenced). Tables
nested in a cell are tables of their own.

The archive is unpacked here, under a budget, before python-docx sees it: its declared sizes are checked
first, then each part is inflated in 1 MB steps and refused as soon as it outgrows what it declared or the
budget (a zip that lies about its sizes is a bomb: zipfile trusts the sizes and would inflate up to 2 GB
at once before noticing). python-docx then reads a copy of the archive rebuilt from the checked parts.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from extract.model import Cell, ExtractError, Parsed, Table, has_standard_tables
from extract.ocr import read_pictures

MAX_UNPACKED = 300 * 1024 * 1024
MAX_XML = 60 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


STEP = 1024 * 1024  # bytes inflated at a time


def check_archive(data: bytes) -> dict[str, bytes]:
    """Every part of the DOCX by name, each inflated here under the budget; raises ExtractError for a zip
    bomb (declared or discovered while inflating), a damaged or an encrypted archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ExtractError("a damaged DOCX (not a readable ZIP archive)") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED or any(i.file_size > MAX_XML and i.filename.endswith(".xml") for i in infos):
        raise ExtractError(f"a DOCX that would unpack to {unpacked // 2**20} MB (a zip bomb?), refused")
    if any(i.compress_size and i.file_size / i.compress_size > 1000 for i in infos if i.file_size > 10 * 2**20):
        raise ExtractError("a DOCX with an implausible compression ratio (a zip bomb?), refused")
    parts: dict[str, bytes] = {}
    left = MAX_UNPACKED
    for info in infos:
        if info.is_dir():
            continue
        body = _inflate(data, info, min(left, MAX_XML if info.filename.endswith((".xml", ".rels")) else left))
        left -= len(body)
        parts[info.filename] = body
    return parts


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: int) -> bytes:
    """One part, inflated STEP by STEP from its raw bytes; never more than it declared, nor than `budget`."""
    if info.flag_bits & 0x1:
        raise ExtractError("an encrypted DOCX, which cannot be read")
    offset = info.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ExtractError("a damaged DOCX (a part is not where the archive says)")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    bomb = ExtractError(f"a DOCX whose part {info.filename[:60]} inflates to more than it declares"
                        " (a zip bomb?), refused")
    if info.compress_type == zipfile.ZIP_STORED:
        body = bytes(raw)
        if len(body) > budget:
            raise bomb
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        pieces, size, pending = [], 0, raw
        try:
            while True:
                piece = inflater.decompress(pending, STEP)
                size += len(piece)
                if size > info.file_size or size > budget:
                    raise bomb
                pieces.append(piece)
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and not piece):
                    break
        except zlib.error:
            raise ExtractError(f"a damaged DOCX (its part {info.filename[:60]} does not inflate)") from None
        if not inflater.eof:
            raise ExtractError(f"a damaged DOCX (its part {info.filename[:60]} is cut short)")
        body = b"".join(pieces)
    else:
        raise ExtractError(f"a DOCX packed with an unusual compression (method {info.compress_type}), not read")
    if len(body) != info.file_size:
        raise bomb if len(body) > info.file_size else ExtractError(
            f"a damaged DOCX (its part {info.filename[:60]} is shorter than it declares)")
    if zlib.crc32(body) != info.CRC:
        raise ExtractError(f"a damaged DOCX (its part {info.filename[:60]} fails its checksum)")
    return body


def _repack(parts: dict[str, bytes]) -> bytes:
    """The checked parts as a new archive whose sizes are true (stored, not compressed: it is read at once)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def read_docx(data: bytes, ocr_pictures: bool = True) -> Parsed:
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    parts = check_archive(data)
    try:
        document = docx.Document(io.BytesIO(_repack(parts)))
    except Exception as e:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors …
        raise ExtractError(f"a damaged DOCX ({type(e).__name__}: {e})") from None
    lines: list[str] = []
    tables: list[Table] = []
    for child in document.element.body.iterchildren():
        if child.tag == _W + "p":
            lines.append(Paragraph(child, document).text)
        elif child.tag == _W + "tbl":
            for rows in _tables(DocxTable(child, document)):
                tables.append(Table(rows))
                lines.extend("\t".join(c.text for c in row) for row in rows)
    warnings: list[str] = []
    images: list[str] = []
    if not has_standard_tables(tables):
        media = [n for n in parts if n.startswith("word/media/")
                 and n.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff")]
        if media and ocr_pictures:
            found = read_pictures([parts[n] for n in media], media, warnings)
            tables += found.tables
            images = found.unread
            if found.text:
                lines.append(found.text)
        else:
            images = media
    text = "\n".join(line.strip() for line in lines if line.strip())
    return Parsed(text=text, tables=tables, images=images, warnings=warnings,
                  media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


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
            out.append(Cell("\n".join(p.text for p in cell.paragraphs).strip(), col, col + 1))
            emitted = tc
            nested.extend(cell.tables)
        above = cells
        if out:
            rows.append(out)
    result = [rows]
    for inner in nested:
        result.extend(_tables(inner))
    return result
