"""Acceptance 5: bad input ends in a one-line error or a partial result with warnings, in bounded time
and memory. Each case runs the real command in a subprocess under a time limit and an address-space
limit."""
import json
import os
import resource
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REAL
from tests.generate import html_page, html_tables, sample_report

MEMORY = 4 * 1024**3
TIMEOUT = 120


def run_extract(path) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    return subprocess.run([sys.executable, "-m", "nianbao.cli", "extract", "--json", "--no-text", str(path)],
                          capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=limit)


def assert_one_line_error(result, *words):
    assert result.returncode == 1, result.stdout[:500]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for word in words:
        assert word in result.stderr


def test_empty_file(tmp_path):
    path = tmp_path / "empty.html"
    path.write_bytes(b"")
    assert_one_line_error(run_extract(path), "empty")


def test_missing_file(tmp_path):
    assert_one_line_error(run_extract(tmp_path / "nothing.pdf"), "no such file")


def test_random_bytes_named_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(os.urandom(200_000))
    assert_one_line_error(run_extract(path), "not a document")


def test_truncated_pdf(tmp_path):
    data = (REAL / "huaian" / "szfgs2024.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    result = run_extract(path)
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        report = json.loads(result.stdout)
        assert report["warnings"] or report["applications"] is None
    else:
        assert_one_line_error(result, "PDF")


def test_encrypted_pdf(tmp_path):
    from tests.generate import convert, fill_template, soffice

    assert soffice(), "LibreOffice is needed to make the encrypted PDF"
    docx_path = fill_template(sample_report(), tmp_path / "secret.docx")
    options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
    pdf_path = convert(docx_path, options, tmp_path)
    assert_one_line_error(run_extract(pdf_path), "encrypted")


def test_docx_zip_bomb(tmp_path):
    path = tmp_path / "bomb.docx"
    chunk = b"\0" * (16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(64):  # 1 GiB unpacked
                member.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    assert_one_line_error(run_extract(path), "zip bomb")


def test_damaged_docx(tmp_path):
    path = tmp_path / "damaged.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed")
    assert_one_line_error(run_extract(path), "DOCX")


def test_zip_that_is_not_a_document(tmp_path):
    path = tmp_path / "attachments.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert_one_line_error(run_extract(path), "not a Word")


def test_damaged_picture(tmp_path):
    path = tmp_path / "table.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    assert_one_line_error(run_extract(path), "picture")


def test_50_mb_html_page(tmp_path):
    """A report page bloated to 50 MB still reads, tables and all."""
    report = sample_report()
    filler = "<p>" + "政府信息公开工作持续推进，" * 40 + "</p>\n"
    body = html_tables(report) + filler * (50 * 1024 * 1024 // len(filler.encode()))
    path = tmp_path / "huge.html"
    path.write_text(html_page(body), encoding="utf-8")
    assert path.stat().st_size >= 50 * 1024 * 1024
    result = run_extract(path)
    assert result.returncode == 0, result.stderr
    extracted = json.loads(result.stdout)
    assert extracted["applications"] == report["applications"]


def test_deeply_nested_html(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<html><body>" + "<div>" * 100_000 + "政府信息公开工作年度报告" + "</div>" * 100_000 + "</body></html>",
                    encoding="utf-8")
    result = run_extract(path)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)
    if result.returncode == 1:
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("content", [b"\xff\xfe" + "报告".encode("utf-16-le"), "纯文本，无表格。".encode("gbk")])
def test_odd_text_reads_without_tables(tmp_path, content):
    path = tmp_path / "odd.txt"
    path.write_bytes(content)
    result = run_extract(path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["applications"] is None
