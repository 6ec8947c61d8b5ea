"""Issue 15, items 6 and 13: `nianbao extract URL` has one deadline per download and one line per failure;
a DOCX that lies about its sizes is refused while it is inflated, in bounded memory.

The real `nianbao extract` in a subprocess against a server on 127.0.0.1 that sends a page one byte a
second (its body, or its headers), redirects in a loop, or redirects to ftp://; and a DOCX whose
document.xml says it is 1,000 bytes and inflates to 2.2 GB."""
import io
import struct
import subprocess
import sys
import time
import zlib

import pytest

from tests.test_hostile import Server

TIMEOUT = 3  # NIANBAO_TIMEOUT for these downloads
MAX_RSS_MB = 400


def extract(*args, env_timeout=TIMEOUT, measure=False) -> tuple[subprocess.CompletedProcess, float, float]:
    """The command, how long it took, and its peak memory in MB."""
    import os

    command = [sys.executable, "-m", "nianbao.cli", "extract", "--json", "--no-text", *map(str, args)]
    wrapper = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]);"
               " print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
               " sys.exit(code)")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "NIANBAO_TIMEOUT": str(env_timeout)})
    seconds = time.monotonic() - started
    err, _, rss = result.stderr.rpartition("maxrss ")
    result.stderr = err
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
