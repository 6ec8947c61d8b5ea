"""The readable summary `nianbao extract` prints without --json: the tables as aligned text."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extract.schema import APPLICANTS, OUTCOMES, ROW_LABELS

_APPLICANT_NAMES = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
_KIND_NAMES = {"review": "行政复议", "litigation_direct": "诉讼·直接起诉", "litigation_after_review": "诉讼·复议后起诉"}
_OUTCOME_NAMES = ["维持", "纠正", "其他", "未审结", "总计"]


def _cell(value) -> str:
    return "—" if value is None else str(value)


def print_summary(report: dict, console: Console | None = None) -> None:
    console = console or Console(highlight=False, width=140)
    flag = "" if report["is_annual_report"] else "  [not an annual report]"
    console.print(f"[bold]{report['title'] or '(no title)'}[/bold]{flag}")
    console.print(f"agency: {report['agency']}   year: {report['year']}   published: {report['published']}   "
                  f"format: {report['table_format']}   tables as images: {report['tables_as_images']}")
    console.print(f"source: {report['source']['location']} ({report['source']['media_type']})")
    active = report["active_disclosure"]
    if active:
        table = Table(title="二、主动公开政府信息情况", title_justify="left")
        table.add_column("item")
        table.add_column("values")
        for item, fields in active.items():
            table.add_row(item, "  ".join(f"{k}={_cell(v)}" for k, v in fields.items()))
        console.print(table)
    applications = report["applications"]
    if applications:
        table = Table(title="三、收到和处理政府信息公开申请情况", title_justify="left")
        table.add_column("row", no_wrap=True)
        for name in _APPLICANT_NAMES:
            table.add_column(name, justify="right")
        for code, row in applications.items():
            label = ROW_LABELS[code].split(" ")[-1].split("（区分")[0]
            table.add_row(f"{code:<6}{label[:16]}", *(_cell(row[a]) for a in APPLICANTS))
        console.print(table)
    review = report["review_litigation"]
    if review:
        table = Table(title="四、行政复议、行政诉讼情况", title_justify="left")
        table.add_column("")
        for name in _OUTCOME_NAMES:
            table.add_column(name, justify="right")
        for kind, group in review.items():
            table.add_row(_KIND_NAMES[kind], *(_cell(group[o]) for o in OUTCOMES))
        console.print(table)
    if not (active or applications or review):
        console.print("no statistics tables read")
    failed = [c for c in report["checks"] if c["ok"] is False]
    unchecked = [c for c in report["checks"] if c["ok"] is None]
    passed = len(report["checks"]) - len(failed) - len(unchecked)
    console.print(f"checks: {passed} passed, {len(failed)} failed, {len(unchecked)} not checked")
    for c in failed:
        console.print(f"  [red]FAILED[/red] {c['rule']} " + escape(f"[{c['scope']}]: {c['message']}"))
    for w in report["warnings"][:30]:
        console.print("  warning: " + escape(w))
    if len(report["warnings"]) > 30:
        console.print(f"  … and {len(report['warnings']) - 30} more warnings")
