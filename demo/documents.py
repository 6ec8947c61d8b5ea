"""Generated report documents: the official Word template filled with known numbers, and what portals
make of it (a LibreOffice PDF, the same PDF scanned to pictures, HTML pages, tables as pictures, DOC).

The tests read them to exact numbers and the demo portal serves them. The numbers are distinct and
obey the balance rule, so a value read into the wrong cell shows.
"""
from __future__ import annotations

import html
from pathlib import Path

import docx

from extract.schema import APPLICANTS, OUTCOMES, REVIEW_KINDS, ROW_CODES
from demo import DATA

TEMPLATE = DATA / "template.docx"
AGENCY = "示例市卫生健康委员会"
YEAR = 2023
TITLE = f"{AGENCY}{YEAR}年政府信息公开工作年度报告"
PROSE = ("2023年，示例市卫生健康委员会认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、"
         "不公开为例外，围绕群众关切推进政府信息公开工作，不断提高公开质量和实效。")


def sample_report(unit: int = 1, carried_in: list[int] | None = None, carried_out: list[int] | None = None) -> dict:
    """Contract-shaped tables (2021 format) with distinct values that satisfy every rule. `carried_in` (row 2)
    and `carried_out` (row 4) give the six applicant columns of the carry-over rows, so a run of years can
    carry over from one report to the next; row 1 is what balances."""
    results = [c for c in ROW_CODES["2021"] if c.startswith("3.") and c != "3.7"]
    applications = {}
    for i, code in enumerate(results):
        row = [((i * 7 + j * 3) % 11) * unit for j in range(6)]
        applications[code] = row + [sum(row)]
    total_results = [sum(applications[c][j] for c in results) for j in range(7)]
    carried_out = list(carried_out or [j + 1 for j in range(6)])
    carried_out.append(sum(carried_out))
    carried_in = list(carried_in or [j % 3 for j in range(6)])
    carried_in.append(sum(carried_in))
    new = [total_results[j] + carried_out[j] - carried_in[j] for j in range(7)]
    applications.update({"1": new, "2": carried_in, "3.7": total_results, "4": carried_out})
    review = {}
    for k, kind in enumerate(REVIEW_KINDS):
        parts = [k + 1, k + 2, 3 - k, k * 2]
        review[kind] = dict(zip(OUTCOMES, parts + [sum(parts)]))
    return {
        "active_disclosure": {
            "regulations": {"issued": 2, "repealed": 1, "in_force": 17},
            "normative_documents": {"issued": 9, "repealed": 4, "in_force": 63},
            "licensing": {"decisions": 5152},
            "punishment": {"decisions": 730},
            "enforcement": {"decisions": 12},
            "fees": {"amount": 36.5},
        },
        "applications": {code: dict(zip(APPLICANTS, applications[code])) for code in ROW_CODES["2021"]},
        "review_litigation": review,
    }


def _set(cell, value) -> None:
    cell.paragraphs[0].text = "" if value is None else str(value)
    for extra in cell.paragraphs[1:]:
        extra.text = ""


def fill_template(report: dict, path: Path, prose_paragraphs: int = 2, ruled: bool = True) -> Path:
    """The official template with `report`'s numbers, a title, and prose (to push the tables down);
    unruled, the tables lose their cell borders."""
    document = docx.Document(str(TEMPLATE))
    if not ruled:
        from docx.oxml.ns import qn

        for borders in list(document.element.body.iter(qn("w:tcBorders"))):
            borders.getparent().remove(borders)
    paragraphs = document.paragraphs
    paragraphs[1].text = TITLE
    for p in paragraphs:
        if p.text == "（文字描述）":
            p.text = PROSE
    anchor = next(p for p in paragraphs if p.text.startswith("三、收到和处理"))
    for _ in range(prose_paragraphs):
        anchor.insert_paragraph_before(PROSE)
    active, applications, review = document.tables
    a = report["active_disclosure"]
    for row_index, values in ((2, a["regulations"].values()), (3, a["normative_documents"].values()),
                              (6, a["licensing"].values()), (9, a["punishment"].values()),
                              (10, a["enforcement"].values()), (13, a["fees"].values())):
        cells = active.rows[row_index].cells
        for offset, value in enumerate(values):
            _set(cells[1 + offset], value)
    for row_index, code in enumerate(ROW_CODES["2021"], start=3):
        cells = applications.rows[row_index].cells
        for offset, applicant in enumerate(APPLICANTS):
            _set(cells[3 + offset], report["applications"][code][applicant])
    cells = review.rows[3].cells
    for k, kind in enumerate(REVIEW_KINDS):
        for o, outcome in enumerate(OUTCOMES):
            _set(cells[k * 5 + o], report["review_litigation"][kind][outcome])
    document.add_paragraph(AGENCY)
    document.add_paragraph("2024年1月26日")
    document.save(str(path))
    return path


def page_images(pdf_path: Path, scale: float = 2.0, pages: list[int] | None = None) -> list:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    indexes = pages if pages is not None else range(len(pdf))
    return [pdf[i].render(scale=scale).to_pil().convert("RGB") for i in indexes]


def page_images_of(data: bytes, pages: list[int], scale: float = 2.0) -> list:
    """Pages of a PDF (given as bytes) rendered to pictures."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    return [pdf[i].render(scale=scale).to_pil().convert("RGB") for i in pages]


def scanned_pdf(pdf_path: Path, out: Path, pages: list[int] | None = None, dpi: int = 200) -> Path:
    """The PDF as a scan: each page a JPEG picture at `dpi`, no text layer."""
    images = page_images(pdf_path, scale=dpi / 72, pages=pages)
    images[0].save(str(out), save_all=True, append_images=images[1:], resolution=dpi)
    return out


def statements(report: dict, received_off_by: int = 0) -> str:
    """The prose's figures as reports state them (applications received and carried over, reviews and
    lawsuits), from the tables; `received_off_by` makes the prose disagree with them."""
    apps, review = report["applications"], report["review_litigation"]
    lawsuits = review["litigation_direct"]["total"] + review["litigation_after_review"]["total"]
    return (f"<p>本年度共收到政府信息公开申请{apps['1']['total'] + received_off_by}件，"
            f"{apps['4']['total']}件结转下年度继续办理。</p>"
            f"<p>全年发生政府信息公开行政复议案件{review['review']['total']}件、行政诉讼案件{lawsuits}件。</p>")


def html_tables(report: dict, blank_zeros: bool = False) -> str:
    """The three tables as a portal's editor writes them, merged cells and all; `blank_zeros` leaves the
    zero cells of table 3 empty, as some reports do."""
    a = report["active_disclosure"]
    rows = ['<table border="1">',
            '<tr><td colspan="4">第二十条第（一）项</td></tr>',
            "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"]
    for label, key in (("规章", "regulations"), ("行政规范性文件", "normative_documents")):
        rows.append(f"<tr><td>{label}</td>" + "".join(f"<td>{v}</td>" for v in a[key].values()) + "</tr>")
    for clause, header, items in (("（五）", "本年处理决定数量", [("行政许可", "licensing")]),
                                  ("（六）", "本年处理决定数量", [("行政处罚", "punishment"), ("行政强制", "enforcement")]),
                                  ("（八）", "本年收费金额（单位：万元）", [("行政事业性收费", "fees")])):
        rows.append(f'<tr><td colspan="4">第二十条第{clause}项</td></tr>')
        rows.append(f'<tr><td>信息内容</td><td colspan="3">{header}</td></tr>')
        for label, key in items:
            value = next(iter(a[key].values()))
            rows.append(f'<tr><td>{label}</td><td colspan="3">{value}</td></tr>')
    rows.append("</table><p>三、收到和处理政府信息公开申请情况</p><table border=\"1\">")
    rows.append('<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
                '<td colspan="7">申请人情况</td></tr>')
    rows.append('<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>')
    rows.append("<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>")
    labels = {"1": "一、本年新收政府信息公开申请数量", "2": "二、上年结转政府信息公开申请数量", "3.7": "（七）总计",
              "4": "四、结转下年度继续办理"}
    groups = {"3.3": "（三）不予公开", "3.4": "（四）无法提供", "3.5": "（五）不予处理", "3.6": "（六）其他处理"}
    subs = {"3.3": ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
                    "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"],
            "3.4": ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"],
            "3.5": ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请", "要求行政机关确认或重新出具已获取信息"],
            "3.6": ["申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                    "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"]}
    for code in ROW_CODES["2021"]:
        cells = [report["applications"][code][a] for a in APPLICANTS]
        values = "".join(f"<td>{'' if blank_zeros and v == 0 else v}</td>" for v in cells)
        if code in labels:
            rows.append(f'<tr><td colspan="3">{labels[code]}</td>{values}</tr>')
        elif code == "3.1":
            rows.append(f'<tr><td rowspan="22">三、本年度办理结果</td><td colspan="2">（一）予以公开</td>{values}</tr>')
        elif code == "3.2":
            rows.append(f'<tr><td colspan="2">（二）部分公开（区分处理的，只计这一情形，不计其他情形）</td>{values}</tr>')
        else:
            group, n = code.rsplit(".", 1)
            head = f'<td rowspan="{len(subs[group])}">{groups[group]}</td>' if n == "1" else ""
            rows.append(f"<tr>{head}<td>{n}.{subs[group][int(n) - 1]}</td>{values}</tr>")
    rows.append('</table><p>四、政府信息公开行政复议、行政诉讼情况</p><table border="1">')
    rows.append('<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>')
    heads = "".join(f'<td rowspan="2">{h}</td>' for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
    rows.append(f'<tr>{heads}<td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>')
    rows.append("<tr>" + "".join(f"<td>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>")
    rows.append("<tr>" + "".join(f"<td>{report['review_litigation'][k][o]}</td>" for k in REVIEW_KINDS for o in OUTCOMES) + "</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def html_page(body: str, article_open: str = '<div class="TRS_Editor">', article_close: str = "</div>",
              charset: str | None = "utf-8", chrome: bool = True, title: str = TITLE, agency: str = AGENCY,
              published: str = "2024-01-26", overview: str = "") -> str:
    """A report page: `overview` is HTML for the 总体情况 after the standard sentence, `body` the tables."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    nav = ('<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/hdjl/">互动交流</a>'
           '<a href="/bsfw/">办事服务</a></div>') if chrome else ""
    footer = '<div class="footer">主办单位：示例市人民政府办公室 版权所有 网站标识码1234567890</div>' if chrome else ""
    info = ('<table class="xxgk"><tr><td>索引号：</td><td>11350000-2024-00012</td><td>发布机构：</td>'
            f'<td>{agency}</td></tr><tr><td>发布日期：</td><td>{published}</td></tr></table>')
    return (f"<html><head>{meta}<title>{title}_政府信息公开年报_示例市人民政府</title></head><body>{nav}{info}"
            f"<h1>{html.escape(title)}</h1>{article_open}<p>一、总体情况</p><p>{PROSE}</p>{overview}"
            f"<p>二、主动公开政府信息情况</p>{body}<p>五、存在的主要问题及改进情况</p><p>{PROSE}</p>"
            f"{article_close}{footer}</body></html>")


def review_picture(pdf_path: Path, scale: float = 2.0):
    """A picture of just the review/litigation table (from its heading down), cut from the PDF page."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    for i in range(len(pdf)):
        page = pdf[i]
        found = page.get_textpage().search("行政复议").get_next()
        if found:
            top = page.get_height() - page.get_textpage().get_charbox(found[0])[3]
            image = page.render(scale=scale).to_pil().convert("RGB")
            return image.crop((0, int((top - 30) * scale), image.width, int((top + 160) * scale)))
    raise ValueError("no review table in the PDF")


def nested_docx(filled: Path, out: Path) -> Path:
    """The filled template with its three tables moved into a one-cell layout table."""
    document = docx.Document(str(filled))
    tables = [t._tbl for t in document.tables]
    layout = document.add_table(rows=1, cols=1)
    cell = layout.cell(0, 0)._tc
    for tbl in tables:
        cell.append(tbl)
    cell.append(docx.oxml.parse_xml('<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'))
    document.save(str(out))
    return out


def picture_docx(images: list, out: Path) -> Path:
    """A report whose tables are pictures pasted into Word."""
    from docx.shared import Inches

    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph(PROSE)
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    for i, image in enumerate(images):
        path = out.parent / f"{out.stem}-{i}.png"
        image.save(path)
        document.add_picture(str(path), width=Inches(6))
    document.save(str(out))
    return out
