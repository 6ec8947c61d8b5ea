"""Issue 15, items 6 and 13: `nianbao extract URL` has one deadline per download and one line per failure;
a DOCX that lies about its sizes is refused while it is inflated, and a large DOCX is read in bounded memory
and time.

The real `nianbao extract` in a subprocess against a server on 127.0.0.1 that sends a page one byte a
second (its body, or its headers), redirects in a loop, or redirects to ftp://; a DOCX whose document.xml
says it is 1,000 bytes and inflates to 2.2 GB; a 55 MB DOCX made as Word makes a long report (58 MB of
document.xml in short formatted runs, 50 MB of pictures, the three statistics tables as Word tables); and a
250 KB DOCX holding one table of 40 MB of XML. Memory is the child's peak RSS (ru_maxrss); time is only
bounded by the subprocess's timeout, generous for a loaded machine."""
import io
import os
import random
import signal
import struct
import subprocess
import sys
import time
import zlib

import pytest

from tests.generate import sample_report
from tests.test_hostile import Server

TIMEOUT = 3  # NIANBAO_TIMEOUT for these downloads
MAX_RSS_MB = 400


def extract(*args, env_timeout=TIMEOUT, timeout=60) -> tuple[subprocess.CompletedProcess, float, float]:
    """The command, how long it took, and its peak memory in MB; past `timeout` seconds the command and its
    wrapper are ended (their process group) and the test fails."""
    command = [sys.executable, "-m", "nianbao.cli", "extract", "--json", "--no-text", *map(str, args)]
    wrapper = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]);"
               " print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
               " sys.exit(code)")
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", wrapper, *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "NIANBAO_TIMEOUT": str(env_timeout)})
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"nianbao extract {' '.join(map(str, args))[:100]} did not end within {timeout} s")
    seconds = time.monotonic() - started
    err, _, rss = err.rpartition("maxrss ")
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return result, seconds, int(rss) / 1024


def drip_body(handler, server):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    drip(handler, server, b" " * 1000)


def drip_headers(handler, server):
    drip(handler, server, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 1000)


def drip(handler, server, data: bytes):
    for byte in data:
        if server.stopping.is_set():
            return
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(1)


@pytest.fixture(scope="module")
def server():
    running = Server({"/loop/a": (302, {"Location": "/loop/b"}, b""), "/loop/b": (302, {"Location": "/loop/a"}, b""),
                      "/ftp": (302, {"Location": "ftp://127.0.0.1/report.pdf"}, b"")})
    running.pages["/drip/body"] = lambda handler: drip_body(handler, running)
    running.pages["/drip/headers"] = lambda handler: drip_headers(handler, running)
    yield running
    running.stop()


def assert_one_line(result, *words):
    assert result.returncode == 1, result.stdout[:500]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("path", ["/drip/body", "/drip/headers"])
def test_a_server_sending_a_byte_a_second_is_given_up_at_the_deadline(server, path):
    result, seconds, _ = extract(server.base + path)
    assert_one_line(result, f"no whole answer within {TIMEOUT} s")
    assert seconds < TIMEOUT + 8, f"took {seconds:.1f} s"


def test_a_redirect_loop_is_one_line(server):
    result, _, _ = extract(server.base + "/loop/a")
    assert_one_line(result, "redirects in a loop")


def test_a_redirect_to_ftp_is_refused(server):
    result, _, _ = extract(server.base + "/ftp")
    assert_one_line(result, "not http(s)")


def lying_docx() -> bytes:
    """A real (empty) DOCX whose word/document.xml is 2.2 GB of zeros, deflated, declared as 1,000 bytes with
    the checksum of its first 1,000: zipfile believes it and hands out 1,000 bytes, after inflating the lot."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    import zipfile

    members = {info.filename: zipfile.ZipFile(buffer).read(info) for info in zipfile.ZipFile(buffer).infolist()}
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * 2**20) + compressor.flush(zlib.Z_FULL_FLUSH)  # each inflates to 1 MB alone
    bomb = block * 2200 + compressor.flush()
    out, central = io.BytesIO(), io.BytesIO()
    for name, body in members.items():
        if name == "word/document.xml":
            method, data, size, crc = 8, bomb, 1000, zlib.crc32(b"\0" * 1000)
        else:
            method, data, size, crc = 0, body, len(body), zlib.crc32(body)
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
                                  len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central.getvalue()), start, 0))
    return out.getvalue()


def test_a_docx_that_lies_about_its_sizes_is_refused_while_inflating(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(lying_docx())
    assert path.stat().st_size < 5 * 2**20
    result, seconds, rss = extract(path)
    assert rss < MAX_RSS_MB, f"peaked at {rss:.0f} MB"
    assert_one_line(result, "zip bomb")


def _with_document_xml(data: bytes, grow) -> bytes:
    """The DOCX with its word/document.xml passed through `grow` (a function of its text)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "word/document.xml":
                body = grow(body.decode()).encode()
            archive.writestr(info, body, zipfile.ZIP_STORED if info.filename.startswith("word/media/")
                             else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _before_paragraph(xml: str, words: str, block: str) -> str:
    """`block` put into the body just before the paragraph holding `words`."""
    at = xml.index(words)
    start = max(xml.rfind("<w:p>", 0, at), xml.rfind("<w:p ", 0, at))
    return xml[:start] + block + xml[start:]


def long_report(tmp_path) -> bytes:
    """A 55 MB report as Word writes one: the official template filled in, then 58 MB of document.xml of prose
    in paragraphs of twenty short runs, each with its own fonts and size (before section 三, so the statistics
    tables come after it), and 50 MB of photographs (noise: it does not compress) after the signature."""
    import docx
    from docx.shared import Inches
    from PIL import Image

    from tests.generate import fill_template

    rnd = random.Random(15)
    document = docx.Document(str(fill_template(sample_report(), tmp_path / "base.docx")))
    size = 0
    while size < 50 * 2**20:
        picture = io.BytesIO()
        Image.frombytes("RGB", (900, 700), rnd.randbytes(900 * 700 * 3)).save(picture, "PNG", compress_level=1)
        size += picture.tell()
        picture.seek(0)
        document.add_picture(picture, width=Inches(5))
    buffer = io.BytesIO()
    document.save(buffer)
    characters = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    style = ('<w:rPr><w:rFonts w:ascii="仿宋_GB2312" w:eastAsia="仿宋_GB2312" w:hAnsi="仿宋_GB2312"/>'
             '<w:sz w:val="32"/></w:rPr>')
    paragraphs, size = [], 0
    while size < 58 * 2**20:
        runs = "".join(f'<w:r>{style}<w:t xml:space="preserve">{"".join(rnd.choices(characters, k=8))}</w:t></w:r>'
                       for _ in range(20))
        paragraphs.append(f'<w:p><w:pPr><w:spacing w:line="560" w:lineRule="exact"/>'
                          f'<w:ind w:firstLine="640"/></w:pPr>{runs}</w:p>')
        size += len(paragraphs[-1].encode())
    return _with_document_xml(buffer.getvalue(), lambda xml: _before_paragraph(xml, "三、收到和处理",
                                                                               "".join(paragraphs)))


def one_huge_table(tmp_path) -> bytes:
    """The filled-in template with, before section 三, a table of 40 MB of XML (about 180,000 rows), which
    deflates to some 200 KB."""
    from tests.generate import fill_template

    row = "<w:tr>" + "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>" * 5 + "</w:tr>"
    table = ("<w:tbl><w:tblGrid>" + "<w:gridCol/>" * 5 + "</w:tblGrid>" + row * (40 * 2**20 // len(row))
             + "</w:tbl>")
    data = fill_template(sample_report(), tmp_path / "base.docx").read_bytes()
    return _with_document_xml(data, lambda xml: _before_paragraph(xml, "三、收到和处理", table))


MAX_DOCX_RSS_MB = 400
TABLES = ("active_disclosure", "applications", "review_litigation")


def test_a_long_55_mb_docx_is_read_in_bounded_memory(tmp_path):
    """Its statistics tables are read, its text is cut with a warning (its end, with the signature's date,
    kept), its pictures are never inflated (the tables are text); all within a few hundred MB."""
    import json

    path = tmp_path / "report.docx"
    path.write_bytes(long_report(tmp_path))
    assert 50 * 2**20 < path.stat().st_size < 70 * 2**20
    result, seconds, rss = extract(path, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert rss < MAX_DOCX_RSS_MB, f"peaked at {rss:.0f} MB (in {seconds:.0f} s)"
    report = json.loads(result.stdout)
    want = sample_report()
    assert [report[t] for t in TABLES] == [want[t] for t in TABLES]
    assert report["published"] == "2024-01-26"
    assert any("text was cut" in w for w in report["warnings"]), report["warnings"]


def test_a_docx_with_one_huge_table_is_read_around_it_in_bounded_memory(tmp_path):
    """A table too large to read is skipped with a warning, and the rest of the document is read."""
    import json

    path = tmp_path / "report.docx"
    path.write_bytes(one_huge_table(tmp_path))
    assert path.stat().st_size < 2**20
    result, seconds, rss = extract(path, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert rss < MAX_DOCX_RSS_MB, f"peaked at {rss:.0f} MB (in {seconds:.0f} s)"
    report = json.loads(result.stdout)
    want = sample_report()
    assert [report[t] for t in TABLES] == [want[t] for t in TABLES]
    assert any("was skipped" in w for w in report["warnings"]), report["warnings"]
