"""Bytes → text, decided by us, not by the parser.

Portals serve GBK pages declared as gb2312 (which lacks characters they use), declare utf-8 on GBK
bytes, or declare nothing, and lxml handed GBK bytes loses most of the text. Order: a BOM; then valid
UTF-8 (GBK text practically never validates as UTF-8, while UTF-8 bytes often decode as gb18030
mojibake, so validity outranks a declaration); then the HTTP header's and the page's own declaration
(gb2312/gbk read as their superset gb18030) if the bytes decode under it; then charset-normalizer.
"""
from __future__ import annotations

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

_CHINESE_CANDIDATES = ["gb18030", "big5", "utf_16", "utf_8"]


def _superset(encoding: str) -> str:
    e = encoding.lower().replace("-", "").replace("_", "")
    return "gb18030" if e in ("gb2312", "gbk", "cp936", "xgbk", "euccn", "hzgb2312") else encoding


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding:
        return data[len(bom):].decode(bom_encoding, errors="replace"), bom_encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = [http_content_type_encoding(content_type) if content_type else None,
                html_body_declared_encoding(data[:8192])]
    for encoding in declared:
        if encoding and _superset(resolve_encoding(encoding) or encoding) != "utf-8":
            name = _superset(resolve_encoding(encoding) or encoding)
            try:
                return data.decode(name), name
            except (UnicodeDecodeError, LookupError):
                continue
    best = charset_normalizer.from_bytes(data, cp_isolation=_CHINESE_CANDIDATES).best()
    if best is not None:
        name = _superset(best.encoding)
        return data.decode(name, errors="replace"), name
    return data.decode("gb18030", errors="replace"), "gb18030"
