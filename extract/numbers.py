"""Cell text → number, the way the reports print them.

Reports write full-width digits, thousands separators, amounts in 万元 with decimals, signed
本年增/减 values, and `—`, `-`, `/` or nothing for "no value". A dash or a blank is not a zero: the
contract keeps it `null` and says so in a warning.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NUMBER = "number"
EMPTY = "empty"  # blank, dash or slash: the document gives no value
UNREADABLE = "unreadable"  # digits that do not make one number ("3 4", "1.2.3"): a value slot, no value
TEXT = "text"

_EMPTY_MARKS = {"", "-", "--", "—", "——", "–", "/", "\\", "无", "空", "…", "...", "_", "x", "X", "×"}
_UNIT = re.compile(r"(万元|亿元|元|件|个|项|次|人次|条|%)$")
_SIGN = re.compile(r"^(增加|增|减少|减|\+|-)")
_NUMERIC = re.compile(r"^\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(\D|$))")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC (full-width digits, brackets and colons to ASCII), whitespace removed except between two
    digits, where it separates two numbers and must never join them."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    t = re.sub(r"(?<=\d)\s+(?=\d)", " ", t)
    return re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", t)


@lru_cache(maxsize=65536)
def classify(text: str) -> str:
    """NUMBER, EMPTY, UNREADABLE or TEXT."""
    t = normalize(text)
    if t in _EMPTY_MARKS or re.fullmatch(r"[-—–/\\_]+", t):
        return EMPTY
    if parse_number(t) is not None:
        return NUMBER
    if re.fullmatch(r"[\d\s.,+\-]+", t):
        return UNREADABLE
    return TEXT


@lru_cache(maxsize=65536)
def parse_number(text: str) -> int | float | None:
    """The number a cell prints, or None. Integral values come back as int."""
    t = _THOUSANDS.sub("", normalize(text))
    t = t.replace("，", "").replace("−", "-").replace("－", "-")
    t = _UNIT.sub("", t)
    sign = 1
    m = _SIGN.match(t)
    if m:
        sign = -1 if m.group(1) in ("减少", "减", "-") else 1
        t = t[m.end():]
    if not _NUMERIC.match(t):
        return None
    value = float(t) * sign
    if "." not in t:
        return int(value)
    return value
