"""A report published as a picture (PNG, JPG, GIF, …): OCR, rows rebuilt from the boxes' positions."""
from __future__ import annotations

from extract.model import ExtractError, Parsed
from extract.ocr import read_picture


def read_image(data: bytes) -> Parsed:
    try:
        table, text = read_picture(data)
    except ValueError as e:
        raise ExtractError(str(e)) from None
    if not table.rows:
        raise ExtractError("a picture with no readable text")
    return Parsed(text=text, tables=[table], media_type="image")
