"""Title, agency, report year, publication date, and whether a document is an annual report at all.

The year is the year the report covers, read from its title (a 2024 report is published in 2025), and
the agency is the name the report gives itself there. A 指南, 预算, 工作要点 or 年度报表 page shares the
column and much vocabulary with the reports, so the classifier looks at the title first.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR = r"((?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})"
_REPORT_TITLE = re.compile(r"(政府|政务)?信息公开.{0,8}(年度?报告|年报)|政务公开.{0,6}年度报告")
NOT_REPORT = re.compile(r"指南|预算|决算|工作要点|年度报表|统计表|目录|通知|意见|办法|制度|申请表|规定|实施方案|工作方案")
_SECTION_HEADINGS = ("主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议")
_AGENCY_END = re.compile(r"(委员会|人民政府|政府|办公室|办公厅|委|局|厅|部|署|院|中心|所|站|会|处|馆|队|区|县|市|镇|乡|街道|管委会)$")


def clean_title(text: str) -> str:
    """One line, no spaces around CJK (copy-paste leaves `卫东区 2024 年`)."""
    t = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"^(#{1,6}|>|[*+-])\s+", "", t).replace("**", "").replace("__", "")  # Markdown from converters
    t = re.sub(rf"(?<=[{CJK}])\s+|\s+(?=[{CJK}])", "", t)
    return t.strip(" _-|")


def cn_year(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    digits = [_CN_DIGITS.get(ch) for ch in text]
    return None if None in digits else int("".join(map(str, digits)))


def report_year(title: str | None, text: str) -> int | None:
    """The year the report covers: from the title, else from the statistics period in the text."""
    if title:
        m = re.search(_YEAR + r"\s*年", title) or re.search(r"[(（]" + _YEAR + r"[)）]", title)
        if m:
            return cn_year(m.group(1))
    head = text[:3000]
    for pattern in (r"统计期限自\s*" + _YEAR, r"统计期限[^。]{0,20}?" + _YEAR, _YEAR + r"\s*年度?(?:以来|，|,)"):
        m = re.search(pattern, head)
        if m:
            return cn_year(m.group(1))
    return None


def agency_from_title(title: str | None) -> str | None:
    if not title:
        return None
    t = re.sub(r"^关于", "", clean_title(title))
    m = re.match(r"^(?P<agency>.+?)(关于)?" + _YEAR + r"\s*年度?", t)
    if m:
        agency = re.split(r"(?:政府|政务)?信息公开", m.group("agency"))[0].strip("（(《 ")
        return agency if len(agency) >= 2 else None
    m = re.match(r"^" + _YEAR + r"\s*年度?(?P<agency>.+?)(政府|政务)?信息公开", t)
    if m and len(m.group("agency")) >= 2:
        return m.group("agency")
    m = re.match(r"^(?P<agency>.+?)(政府|政务)信息公开", t)
    if m and len(m.group("agency")) >= 2:
        return m.group("agency")
    return None


def agency_from_signature(text: str) -> str | None:
    """The agency that signs the report: a short line ending like an agency name, before a date, near the end."""
    lines = [clean_title(line) for line in text.strip().splitlines()[-12:]]
    lines = [line for line in lines if line]
    for i, line in enumerate(lines):
        if _parse_cn_date(line) and i > 0:
            candidate = lines[i - 1]
            if len(candidate) <= 30 and _AGENCY_END.search(candidate) and not re.search(r"[，。；：,;:]", candidate):
                return candidate
    return None


def _parse_cn_date(text: str) -> str | None:
    t = clean_title(text)
    m = re.fullmatch(_YEAR + r"年(\d{1,2}|[一二三四五六七八九十]{1,2})月(\d{1,2}|[一二三四五六七八九十]{1,3})日", t)
    if not m:
        return None
    year = cn_year(m.group(1))
    month, day = _small_number(m.group(2)), _small_number(m.group(3))
    try:
        return date(year, month, day).isoformat()
    except (TypeError, ValueError):
        return None


def _small_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    values = [_CN_DIGITS.get(ch, 10 if ch == "十" else None) for ch in text]
    if None in values:
        return None
    if "十" not in text:
        return values[0]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def parse_date(text: str | None) -> str | None:
    """ISO date from `2025-01-20`, `2025/1/20 10:00`, `2025年1月20日`."""
    if not text:
        return None
    m = re.search(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if not m:
        return _parse_cn_date(text)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def signature_date(text: str) -> str | None:
    """The date under the signature at the end of the report."""
    for line in reversed([line for line in text.strip().splitlines()[-12:] if line.strip()]):
        d = _parse_cn_date(line) or (parse_date(line) if len(clean_title(line)) <= 12 else None)
        if d:
            return d
    return None


def title_from_text(text: str) -> str | None:
    """The line near the top that names the report (报告/年报), with the line before it when the title is
    split there (an agency name or a year on its own line). Stray page words above it (正文, 打印, a date)
    are not part of it."""
    lines = [clean_title(line) for line in text.splitlines()]
    lines = [line for line in lines if line][:8]
    for i, line in enumerate(lines):
        if len(line) > 60 or re.match(r"^[一二三四五六七八九十]+、", line):
            return None
        if "报告" in line or "年报" in line:
            before = lines[i - 1] if i else ""
            split = before and len(before) <= 40 and not re.search(r"[，。；：,;:]", before) and (
                _AGENCY_END.search(before) or re.search(_YEAR + r"\s*年", before)) and not (
                agency_from_title(line) not in (None, "政府", "政务") and re.search(_YEAR, line))
            return before + line if split else line
    return None


def is_annual_report(title: str | None, text: str) -> bool:
    if title:
        t = clean_title(title)
        if _REPORT_TITLE.search(t):
            return not NOT_REPORT.search(re.sub(r"年度报告.*$", "", t))
        if NOT_REPORT.search(t):
            return False
    head = text[:20000]
    return sum(h in head for h in _SECTION_HEADINGS) >= 2 and "年度报告" in head
