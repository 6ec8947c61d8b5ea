"""Legacy Word (.doc) and WPS files: OLE compound files with a `WordDocument` stream.

With LibreOffice installed the file is converted to DOCX (in a private profile, with a time limit) and
read by the DOCX reader, which gets the merged cells right. Without it the text comes from the
`WordDocument` stream itself, through the piece table in the `0Table`/`1Table` stream; table rows are
then cut at Word's cell marks (a row ends with two), which is right unless a cell is empty, so the
result says that the structure is approximate.
"""
from __future__ import annotations

import io
import struct
import subprocess
import tempfile
from pathlib import Path

import olefile

from extract import soffice
from extract.model import Cell, ExtractError, Parsed, Table

CONVERT_TIMEOUT = 120


def read_doc(data: bytes) -> Parsed:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - olefile raises OSError and its own errors
        raise ExtractError(f"a damaged OLE (DOC/WPS) file ({e})") from None
    if not ole.exists("WordDocument"):
        streams = ", ".join("/".join(s) for s in ole.listdir()[:5])
        raise ExtractError(f"an OLE file without a WordDocument stream (not a Word/WPS document; has {streams})")
    word = ole.openstream("WordDocument").read()
    if len(word) < 0x200 or struct.unpack_from("<H", word, 0)[0] != 0xA5EC:
        raise ExtractError("a DOC file with an unknown header (before Word 97?)")
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if flags & 0x0100:
        raise ExtractError("an encrypted DOC file: it needs a password to open")
    if soffice.soffice():
        converted = convert_to_docx(data)
        if converted is not None:
            from extract.readers.docx import read_docx

            parsed = read_docx(converted)
            parsed.media_type = "application/msword"
            return parsed
    text = word_text(ole, word, flags)
    parsed = _from_marks(text)
    parsed.warnings.append("LibreOffice is not available: table structure read from cell marks, approximate")
    return parsed


def convert_to_docx(data: bytes) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        source = Path(tmp) / "report.doc"  # .doc even for WPS files: LibreOffice picks the filter by name
        source.write_bytes(data)
        try:
            return soffice.convert(source, "docx:MS Word 2007 XML", Path(tmp), CONVERT_TIMEOUT).read_bytes()
        except (subprocess.SubprocessError, OSError):
            return None


def word_text(ole, word: bytes, flags: int) -> str:
    """The main document text, assembled from the piece table (Clx) of the table stream."""
    table_name = "1Table" if flags & 0x0200 else "0Table"
    if not ole.exists(table_name):
        raise ExtractError(f"a DOC file without its {table_name} stream")
    table = ole.openstream(table_name).read()
    ccp_text = struct.unpack_from("<I", word, 0x4C)[0]
    fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x1A2)
    clx = table[fc_clx: fc_clx + lcb_clx]
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc entries come first
        pos += 3 + struct.unpack_from("<H", clx, pos + 1)[0]
    if pos >= len(clx) or clx[pos] != 0x02:
        raise ExtractError("a DOC file whose piece table cannot be read")
    lcb = struct.unpack_from("<I", clx, pos + 1)[0]
    plc = clx[pos + 5: pos + 5 + lcb]
    n = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    parts = []
    for i in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        length = cps[i + 1] - cps[i]
        if fc & 0x40000000:
            start = (fc & ~0x40000000) // 2
            parts.append(word[start: start + length].decode("cp1252", errors="replace"))
        else:
            parts.append(word[fc: fc + 2 * length].decode("utf-16-le", errors="replace"))
    return _drop_field_codes("".join(parts)[:ccp_text])


def _drop_field_codes(text: str) -> str:
    """Fields are \\x13 code \\x14 result \\x15: keep the result, drop the code."""
    out, depth_code = [], []
    for ch in text:
        if ch == "\x13":
            depth_code.append(True)
        elif ch == "\x14" and depth_code:
            depth_code[-1] = False
        elif ch == "\x15" and depth_code:
            depth_code.pop()
        elif not (depth_code and depth_code[-1]):
            out.append(ch)
    return "".join(out)


def _from_marks(text: str) -> Parsed:
    """Paragraphs end with \\r; a cell ends with \\x07 instead, and a row with one more \\x07. A paragraph
    break inside a row stays in its cell."""
    lines: list[str] = []
    tables: list[Table] = []
    rows: list[list[Cell]] = []
    row: list[Cell] = []
    buffer: list[str] = []
    after_mark = False
    for ch in text.replace("\x0b", "\n").replace("\x0c", "\n"):
        if ch == "\x07":
            if after_mark and not buffer:
                rows.append(row)
                lines.append("\t".join(c.text for c in row))
                row, after_mark = [], False
            else:
                row.append(Cell("".join(buffer).strip()))
                buffer, after_mark = [], True
            continue
        after_mark = False
        if ch == "\r":
            if row:
                buffer.append("\n")
                continue
            if rows:
                tables.append(Table(rows))
                rows = []
            lines.append("".join(buffer))
            buffer = []
        elif ch not in ("\x01", "\x08"):
            buffer.append(ch)
    if row:
        rows.append(row)
    if rows:
        tables.append(Table(rows))
    lines.append("".join(buffer))
    clean = "\n".join(line.strip() for line in lines if line.strip())
    return Parsed(text=clean, tables=tables, media_type="application/msword")
