"""Issue 11 design 2: a ruled table picture is read from its ruling lines (extract/ruling.py), each cell's text
recognised alone, so every number lands in its row and column — a blank cell stays where it is."""
import copy

import numpy as np
import pytest

from extract import extract_report, ocr
from extract.ruling import ruled_grid
from tests.generate import convert, fill_template, page_images, sample_report, scanned_pdf, soffice

WITH_BLANKS = copy.deepcopy(sample_report())
WITH_BLANKS["applications"]["3.2"]["research_institution"] = None  # its row's printed total forces 2
WITH_BLANKS["review_litigation"]["review"]["pending"] = None  # 6 = 1 + 2 + 3 + ? forces 0
WITH_BLANKS["active_disclosure"]["fees"]["amount"] = None  # nothing forces a fee


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    assert soffice(), "LibreOffice is needed (make test installs it)"
    folder = tmp_path_factory.mktemp("ruled")
    pdf = convert(fill_template(WITH_BLANKS, folder / "blanks.docx", prose_paragraphs=8), "pdf", folder)
    return {"pdf": pdf, "scan": scanned_pdf(pdf, folder / "scan.pdf"), "folder": folder}


def _applications_page(pdf):
    """The rendered page with the most cells: the applications table's."""
    pages = page_images(pdf, scale=200 / 72)
    grids = [ruled_grid(np.asarray(p.convert("L"))) for p in pages]
    best = max(range(len(pages)), key=lambda i: len(grids[i].regions) if grids[i] else 0)
    return pages[best], grids[best]


def test_the_grid_of_a_rendered_applications_table(scanned):
    page, grid = _applications_page(scanned["pdf"])
    spans = {(r.r1 - r.r0, r.c1 - r.c0) for r in grid.regions}
    assert (1, 1) in spans and any(rows > 1 for rows, _ in spans), "single cells and a merged label column"


def test_a_ruled_page_needs_no_detection_pass(scanned, monkeypatch):
    table_page, _ = _applications_page(scanned["pdf"])

    def no_detection(image):
        raise AssertionError("the whole-page detection pass ran on a ruled table")

    monkeypatch.setattr(ocr, "recognise", no_detection)
    import io

    buffer = io.BytesIO()
    table_page.save(buffer, "PNG")
    table, text = ocr.read_picture(buffer.getvalue())
    row = next(row for row in table.rows if "禁止公开" in row[0].text)
    assert [c.text for c in row[1:]] == [str(WITH_BLANKS["applications"]["3.3.2"][a]) for a in
                                        ("natural_person", "commercial_enterprise", "research_institution",
                                         "social_welfare_org", "legal_service_org", "other_org", "total")]
    assert [c.x0 for c in row[1:]] == sorted(c.x0 for c in row[1:]), "cells carry their grid columns"


def test_scanned_report_with_blank_cells_reads_exactly_with_provenance(scanned):
    report = extract_report(str(scanned["scan"]))
    expected = copy.deepcopy(WITH_BLANKS)
    expected["applications"]["3.2"]["research_institution"] = 2
    expected["review_litigation"]["review"]["pending"] = 0
    for table in ("active_disclosure", "applications", "review_litigation"):
        assert report[table] == expected[table], table
    assert sorted(report["cells"]["inferred"]) == ["applications.3.2.research_institution",
                                                   "review_litigation.review.pending"]
    assert report["cells"]["blank"] == ["active_disclosure.fees.amount"]
    assert report["cells"]["unreadable"] == []


def test_a_page_of_running_text_needs_no_detection_pass(monkeypatch, tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 36)
    page = Image.new("RGB", (1400, 600), "white")
    lines = ["2023年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》。", "坚持以公开为常态、不公开为例外。"]
    for i, line in enumerate(lines):
        ImageDraw.Draw(page).text((80, 80 + i * 70), line, fill="black", font=font)

    def no_detection(image):
        raise AssertionError("the detection pass ran on running text")

    monkeypatch.setattr(ocr, "recognise", no_detection)
    import io

    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    _, text = ocr.read_picture(buffer.getvalue())
    assert "中华人民共和国政府信息公开条例" in text and "不公开为例外" in text


def test_cells_set_apart_on_a_line_are_not_taken_for_running_text():
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 32)
    page = Image.new("RGB", (1400, 300), "white")
    draw = ImageDraw.Draw(page)
    draw.text((40, 100), "一、本年新收政府信息公开申请数量", fill="black", font=font)
    for k, value in enumerate(["3", "0", "1", "0", "0", "0", "4"]):
        draw.text((640 + k * 100, 100), value, fill="black", font=font)
    assert ocr.prose_rows(page) is None
