"""DOCX reports: body text in document order, tables as span-aware grids, pictures read by OCR.

python-docx repeats a merged cell in every grid position it covers, across columns and down rows. A
position is the same cell as its left or upper neighbour when their `_tc` elements are the same object
(`is`; an `id()` can be reused once a proxy is freed, so the previous row is kept referenced). Tables
nested in a cell are tables of their own. The archive is checked before it is opened, so a zip bomb is
refused rather than unpacked.
"""
from __future__ import annotations

import io
import zipfile

from extract.model import Cell, ExtractError, Parsed, Table, has_standard_tables
from extract.ocr import read_pictures

MAX_UNPACKED = 300 * 1024 * 1024
MAX_XML = 60 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_archive(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExtractError("a damaged DOCX (not a readable ZIP archive)") from None
    infos = archive.infolist()
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED or any(i.file_size > MAX_XML and i.filename.endswith(".xml") for i in infos):
        raise ExtractError(f"a DOCX that would unpack to {unpacked // 2**20} MB (a zip bomb?), refused")
    if any(i.compress_size and i.file_size / i.compress_size > 1000 for i in infos if i.file_size > 10 * 2**20):
        raise ExtractError("a DOCX with an implausible compression ratio (a zip bomb?), refused")
    return archive


def read_docx(data: bytes, ocr_pictures: bool = True) -> Parsed:
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    archive = check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
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
        media = [n for n in archive.namelist() if n.startswith("word/media/")
                 and n.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff")]
        if media and ocr_pictures:
            found = read_pictures([archive.read(n) for n in media], media, warnings)
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
