"""The three statistics tables laid out as the official formats print them, from the long tables."""
from __future__ import annotations

from extract.statistics import ACTIVE_FIELDS, APPLICANTS, REVIEW_KINDS, ROW_CODES, ROW_LABELS

ITEMS = {"regulations": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
         "other_services": "其他对外管理服务事项", "punishment": "行政处罚", "enforcement": "行政强制",
         "fees": "行政事业性收费", "procurement": "政府集中采购"}
MEASURES = {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
            "decisions": "本年处理决定数量", "amount": "本年收费金额（万元）", "new_made": "本年新制作数量",
            "new_published": "本年新公开数量", "total_published": "对外公开总数量", "last_year_items": "上一年项目数量",
            "change": "本年增/减", "items": "采购项目数量"}
APPLICANT_NAMES = {"natural_person": "自然人", "commercial_enterprise": "商业企业", "research_institution": "科研机构",
                   "social_welfare_org": "社会公益组织", "legal_service_org": "法律服务机构", "other_org": "其他",
                   "total": "总计"}
KIND_NAMES = {"review": "行政复议", "litigation_direct": "行政诉讼·未经复议直接起诉",
              "litigation_after_review": "行政诉讼·复议后起诉"}
OUTCOME_NAMES = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}


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
