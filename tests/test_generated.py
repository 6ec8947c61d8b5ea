"""Acceptance 3 and 4: generated fixtures read to the exact numbers written into them.

Made here from the official template: a DOCX with merged cells, its LibreOffice PDF (the applications
table crossing a page), that PDF scanned to pictures, a GBK page without a charset, an article whose
tables are pictures (beside the page on disk, and behind a URL), the DOCX saved as legacy DOC, and a
report that breaks the balance rule.
"""
import functools
import http.server
import threading

import pytest

from extract import extract_report
from extract.readers import doc as doc_reader
from tests.generate import (AGENCY, TITLE, YEAR, convert, fill_template, html_page, html_tables, nested_docx,
                            page_images, picture_docx, review_picture, sample_report, scanned_pdf, soffice)

REPORT = sample_report()


def assert_tables(report, expected=REPORT):
    for table in ("active_disclosure", "applications", "review_litigation"):
        assert report[table] == expected[table], table
    assert report["table_format"] == "2021"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    assert soffice(), "LibreOffice is needed to generate PDF and DOC fixtures (make test installs it)"
    folder = tmp_path_factory.mktemp("generated")
    docx_path = fill_template(REPORT, folder / "report.docx", prose_paragraphs=8)
    pdf_path = convert(docx_path, "pdf", folder)
    return {"folder": folder, "docx": docx_path, "pdf": pdf_path}


def test_docx_with_merged_cells(made):
    report = extract_report(str(made["docx"]))
    assert_tables(report)
    assert report["title"] == TITLE and report["agency"] == AGENCY and report["year"] == YEAR
    assert report["published"] == "2024-01-26"
    assert report["warnings"] == []
    assert all(c["ok"] for c in report["checks"])


def test_libreoffice_pdf_with_the_table_across_a_page(made):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(made["pdf"]))
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    first = next(i for i, t in enumerate(pages) if "本年新收" in t)
    last = next(i for i, t in enumerate(pages) if "结转下年度" in t)
    assert last > first, "the generated applications table must cross a page"
    report = extract_report(str(made["pdf"]))
    assert_tables(report)
    assert report["tables_as_images"] is False
    assert report["warnings"] == []


def test_scanned_pdf_through_ocr(made):
    scan = scanned_pdf(made["pdf"], made["folder"] / "scan.pdf")
    report = extract_report(str(scan))
    assert_tables(report)
    assert report["tables_as_images"] is True
    assert report["title"] == TITLE
    assert all(c["ok"] for c in report["checks"])


def test_gbk_page_without_charset(tmp_path):
    page = tmp_path / "gbk.html"
    page.write_bytes(html_page(html_tables(REPORT), charset=None).encode("gbk"))
    report = extract_report(str(page))
    assert_tables(report)
    assert report["title"] == TITLE
    assert "认真贯彻落实" in report["text"]


def test_gbk_page_declared_utf8(tmp_path):
    page = tmp_path / "wrong.html"
    page.write_bytes(html_page(html_tables(REPORT), charset="utf-8").encode("gbk"))
    assert_tables(extract_report(str(page)))


def test_gb18030_characters_in_a_page_declared_gb2312(tmp_path):
    page = tmp_path / "gb2312.html"
    body = html_tables(REPORT) + "<p>联系人：王镕</p>"  # 镕 is not in GB2312
    page.write_bytes(html_page(body, charset="gb2312").encode("gb18030"))
    report = extract_report(str(page))
    assert "王镕" in report["text"]
    assert_tables(report)


@pytest.fixture(scope="module")
def picture_article(made):
    folder = made["folder"] / "pictures"
    (folder / "images").mkdir(parents=True)
    names = []
    for i, image in enumerate(page_images(made["pdf"], scale=2.0, pages=[0, 1, 2])):
        name = f"images/table{i + 1}.png"
        image.save(folder / name)
        names.append(name)
    body = "".join(f'<p><img src="{n}" width="600" height="800"></p>' for n in names)
    page = folder / "page.html"
    page.write_text(html_page(body), encoding="utf-8")
    return page


def test_article_whose_tables_are_pictures(picture_article):
    report = extract_report(str(picture_article))
    assert_tables(report)
    assert report["tables_as_images"] is True
    assert all(c["ok"] for c in report["checks"])


def test_pictures_resolved_against_the_page_url(made, tmp_path):
    image = page_images(made["pdf"], scale=2.0, pages=[2])[0]
    (tmp_path / "img").mkdir()
    image.save(tmp_path / "img" / "review.png")
    (tmp_path / "page.html").write_text(html_page('<p><img src="img/review.png"></p>'), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = extract_report(f"http://127.0.0.1:{server.server_port}/page.html")
    finally:
        server.shutdown()
    assert report["review_litigation"] == REPORT["review_litigation"]
    assert report["tables_as_images"] is True


def test_legacy_doc_through_libreoffice(made):
    doc_path = convert(made["docx"], "doc", made["folder"])
    report = extract_report(str(doc_path))
    assert report["source"]["media_type"] == "application/msword"
    assert_tables(report)


def test_legacy_doc_text_without_libreoffice(made, monkeypatch):
    """Without LibreOffice the WordDocument stream still gives the text and, where no cell is empty,
    the tables."""
    doc_path = made["folder"] / "report.doc"
    if not doc_path.exists():
        convert(made["docx"], "doc", made["folder"])
    monkeypatch.setattr(doc_reader.soffice, "soffice", lambda: None)
    report = extract_report(str(doc_path))
    assert report["title"] == TITLE
    assert "认真贯彻落实" in report["text"]
    assert any("LibreOffice is not available" in w for w in report["warnings"])
    assert report["applications"] == REPORT["applications"]
    assert report["review_litigation"] == REPORT["review_litigation"]


def test_report_that_breaks_the_balance_rule(tmp_path):
    broken = sample_report()
    row = broken["applications"]["1"]
    row["natural_person"] += 5
    row["total"] += 5
    page = tmp_path / "broken.html"
    page.write_text(html_page(html_tables(broken)), encoding="utf-8")
    report = extract_report(str(page))
    assert report["applications"]["1"] == row, "read as printed"
    failed = {(c["rule"], c["scope"]) for c in report["checks"] if c["ok"] is False}
    assert failed == {("applications.balance", "natural_person"), ("applications.balance", "total")}
    message = next(c["message"] for c in report["checks"] if c["ok"] is False)
    assert "≠" in message


def test_unruled_pdf_read_from_word_positions(made):
    """Without cell borders there are no rulings: rows are rebuilt from where the words sit."""
    docx_path = fill_template(REPORT, made["folder"] / "unruled.docx", ruled=False)
    report = extract_report(str(convert(docx_path, "pdf", made["folder"])))
    assert_tables(report)
    assert report["warnings"] == []


def test_docx_with_nested_tables(made):
    report = extract_report(str(nested_docx(made["docx"], made["folder"] / "nested.docx")))
    assert_tables(report)


def test_docx_whose_tables_are_pictures(made):
    path = picture_docx([review_picture(made["pdf"])], made["folder"] / "pictures.docx")
    report = extract_report(str(path))
    assert report["review_litigation"] == REPORT["review_litigation"]
    assert report["tables_as_images"] is True


@pytest.mark.parametrize("suffix, fmt", [("png", "PNG"), ("jpg", "JPEG"), ("gif", "GIF")])
def test_picture_files(made, suffix, fmt):
    path = made["folder"] / f"review.{suffix}"
    review_picture(made["pdf"]).save(path, format=fmt)
    report = extract_report(str(path))
    assert report["source"]["media_type"].startswith("image/")
    assert report["review_litigation"] == REPORT["review_litigation"]
    assert report["tables_as_images"] is True


def test_wps_file_is_read_like_doc(made):
    doc_path = made["folder"] / "report.doc"
    if not doc_path.exists():
        convert(made["docx"], "doc", made["folder"])
    wps = made["folder"] / "report.wps"
    wps.write_bytes(doc_path.read_bytes())
    assert_tables(extract_report(str(wps)))
