"""The three statistics tables laid out as the official formats print them, from the long tables."""
from __future__ import annotations

from archive.site.glossary import APPLICANT_NAMES, ITEMS, KIND_NAMES, MEASURES, OUTCOME_NAMES
from extract.schema import ACTIVE_FIELDS, APPLICANTS, REVIEW_KINDS, ROW_CODES, ROW_LABELS


def _show(value) -> str:
    """A blank stays blank (the report printed nothing there); a number is shown without a trailing .0."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def tables(table_format: str | None, values: dict[str, list[dict]]) -> list[dict]:
    """Each table as {title, sections: [{head: [...], rows: [[label, value…]]}]}; empty when absent."""
    fmt = table_format if table_format in ACTIVE_FIELDS else "2021"
    out = []
    active = {(v["item"], v["measure"]): v["value"] for v in values["active_disclosure"]}
    if active:
        sections, current = [], None
        for item, fields in ACTIVE_FIELDS[fmt].items():
            head = ["信息内容"] + [MEASURES[f] for f in fields]
            if current is None or current["head"] != head:
                current = {"head": head, "rows": []}
                sections.append(current)
            current["rows"].append([ITEMS[item]] + [_show(active.get((item, f))) for f in fields])
        out.append({"title": "二、主动公开政府信息情况", "sections": sections})
    applications = {(v["row_code"], v["applicant"]): v["value"] for v in values["applications"]}
    if applications:
        rows = [[ROW_LABELS[code]] + [_show(applications.get((code, a))) for a in APPLICANTS] for code in ROW_CODES[fmt]]
        out.append({"title": "三、收到和处理政府信息公开申请情况",
                    "sections": [{"head": ["本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"]
                                  + [APPLICANT_NAMES[a] for a in APPLICANTS], "rows": rows}]})
    review = {(v["kind"], v["outcome"]): v["value"] for v in values["review_litigation"]}
    if review:
        head = [OUTCOME_NAMES[o] for _ in REVIEW_KINDS for o in OUTCOME_NAMES]
        out.append({"title": "四、政府信息公开行政复议、行政诉讼情况",
                    "sections": [{"head": head, "rows": [[_show(review.get((k, o))) for k in REVIEW_KINDS
                                                          for o in OUTCOME_NAMES]], "groups": list(KIND_NAMES.values())}]})
    return out
