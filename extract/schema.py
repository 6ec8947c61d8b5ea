"""The official statistics tables, defined once: their rows, columns, the phrases that name each row, and the
arithmetic the tables obey.

The 2021 format is 国办公开办函〔2021〕30号 (report years 2021 on), the 2019 format 国办公开办函〔2019〕60号
(2019 and 2020). The reader aligns what a document prints to these sequences, the solver fills what their
arithmetic forces, and the checks test the same equations — so a rule is stated here and nowhere else.
A cell's path is `table.row.column` as in the contract: `applications.3.3.1.natural_person`,
`review_litigation.review.total`, `active_disclosure.fees.amount`.
"""
from __future__ import annotations

from dataclasses import dataclass

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
]
APPLICANT_LABELS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]

ROW_LABELS = {
    "1": "一、本年新收政府信息公开申请数量",
    "2": "二、上年结转政府信息公开申请数量",
    "3.1": "三、本年度办理结果（一）予以公开",
    "3.2": "（二）部分公开",
    "3.3.1": "（三）不予公开 1.属于国家秘密",
    "3.3.2": "（三）不予公开 2.其他法律行政法规禁止公开",
    "3.3.3": "（三）不予公开 3.危及“三安全一稳定”",
    "3.3.4": "（三）不予公开 4.保护第三方合法权益",
    "3.3.5": "（三）不予公开 5.属于三类内部事务信息",
    "3.3.6": "（三）不予公开 6.属于四类过程性信息",
    "3.3.7": "（三）不予公开 7.属于行政执法案卷",
    "3.3.8": "（三）不予公开 8.属于行政查询事项",
    "3.4.1": "（四）无法提供 1.本机关不掌握相关政府信息",
    "3.4.2": "（四）无法提供 2.没有现成信息需要另行制作",
    "3.4.3": "（四）无法提供 3.补正后申请内容仍不明确",
    "3.5.1": "（五）不予处理 1.信访举报投诉类申请",
    "3.5.2": "（五）不予处理 2.重复申请",
    "3.5.3": "（五）不予处理 3.要求提供公开出版物",
    "3.5.4": "（五）不予处理 4.无正当理由大量反复申请",
    "3.5.5": "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
    "3.6": "（六）其他处理",
    "3.6.1": "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "3.6.2": "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.6.3": "（六）其他处理 3.其他",
    "3.7": "（七）总计",
    "4": "四、结转下年度继续办理",
}
# The words that tell one row from the others, as reports print them (numbering and brackets aside).
ROW_KEYS = {
    "1": ["本年新收政府信息公开申请数量"],
    "2": ["上年结转政府信息公开申请数量"],
    "3.1": ["予以公开"],
    "3.2": ["部分公开"],
    "3.3.1": ["属于国家秘密"],
    "3.3.2": ["其他法律行政法规禁止公开"],
    "3.3.3": ["危及三安全一稳定"],
    "3.3.4": ["保护第三方合法权益"],
    "3.3.5": ["属于三类内部事务信息"],
    "3.3.6": ["属于四类过程性信息"],
    "3.3.7": ["属于行政执法案卷"],
    "3.3.8": ["属于行政查询事项"],
    "3.4.1": ["本机关不掌握相关政府信息"],
    "3.4.2": ["没有现成信息需要另行制作"],
    "3.4.3": ["补正后申请内容仍不明确"],
    "3.5.1": ["信访举报投诉类申请"],
    "3.5.2": ["重复申请"],
    "3.5.3": ["要求提供公开出版物"],
    "3.5.4": ["无正当理由大量反复申请"],
    "3.5.5": ["要求行政机关确认或重新出具已获取信息"],
    "3.6": ["其他处理"],
    "3.6.1": ["申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请", "逾期不补正"],
    "3.6.2": ["申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请", "收费通知"],
    "3.6.3": ["其他"],
    "3.7": ["总计"],
    "4": ["结转下年度继续办理"],
}
OTHER_HANDLING = ["3.6.1", "3.6.2", "3.6.3"]  # the 2021 format's three rows for the 2019 format's one 3.6
_RESULT_ROWS = [c for c in ROW_LABELS if c.startswith("3.") and c not in ("3.6", *OTHER_HANDLING, "3.7")]
RESULT_ROWS = {
    "2021": _RESULT_ROWS + OTHER_HANDLING,
    "2019": _RESULT_ROWS + ["3.6"],
}
ROW_CODES = {f: ["1", "2"] + rows + ["3.7", "4"] for f, rows in RESULT_ROWS.items()}
# Every row either format prints, in table order: what a document is aligned to.
PRINTED_ROWS = ["1", "2", *_RESULT_ROWS, "3.6", *OTHER_HANDLING, "3.7", "4"]

REVIEW_KINDS = ["review", "litigation_direct", "litigation_after_review"]
OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]
OUTCOME_LABELS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]

ACTIVE_FIELDS = {
    "2021": {
        "regulations": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "punishment": ["decisions"],
        "enforcement": ["decisions"],
        "fees": ["amount"],
    },
    "2019": {
        "regulations": ["new_made", "new_published", "total_published"],
        "normative_documents": ["new_made", "new_published", "total_published"],
        "licensing": ["last_year_items", "change", "decisions"],
        "other_services": ["last_year_items", "change", "decisions"],
        "punishment": ["last_year_items", "change", "decisions"],
        "enforcement": ["last_year_items", "change", "decisions"],
        "fees": ["last_year_items", "change"],
        "procurement": ["items", "amount"],
    },
}
ACTIVE_ITEMS = {
    "regulations": "规章",
    "normative_documents": "规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "enforcement": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}


@dataclass(frozen=True)
class Equation:
    """sum(left) = sum(right) over cell paths; `rule` and `scope` name it in a report's checks."""

    rule: str
    scope: str
    left: tuple[str, ...]
    right: tuple[str, ...]


def _app(code: str, column: str) -> str:
    return f"applications.{code}.{column}"


def equations(table_format: str | None, applications_rows=None, review: bool = True) -> list[Equation]:
    """The tables' arithmetic for a format: per column the balance rule printed in table 3 and the results
    sum, per row the applicant total, per review/litigation group its total. `applications_rows`, when given,
    limits the row totals to the rows the report has."""
    fmt = table_format or "2021"
    out = []
    results = RESULT_ROWS[fmt]
    for a in APPLICANTS:
        out.append(Equation("applications.balance", a, (_app("1", a), _app("2", a)), (_app("3.7", a), _app("4", a))))
    for a in APPLICANTS:
        out.append(Equation("applications.results_sum", a, (_app("3.7", a),), tuple(_app(r, a) for r in results)))
    for code in applications_rows if applications_rows is not None else ROW_CODES[fmt]:
        out.append(Equation("applications.row_total", code, (_app(code, "total"),),
                            tuple(_app(code, a) for a in APPLICANTS[:-1])))
    if review:
        for kind in REVIEW_KINDS:
            out.append(Equation("review_litigation.total", kind, (f"review_litigation.{kind}.total",),
                                tuple(f"review_litigation.{kind}.{o}" for o in OUTCOMES[:-1])))
    return out


def other_handling_sum() -> list[Equation]:
    """Where a document prints one （六）其他处理 row for the 2021 format's three (or three for the 2019
    format's one), the one is the sum of the three."""
    return [Equation("applications.other_handling", a, (_app("3.6", a),), tuple(_app(r, a) for r in OTHER_HANDLING))
            for a in APPLICANTS]
