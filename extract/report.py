"""A document (path, URL or bytes) → the JSON object of `docs/report-json.md`.

The format is sniffed from the bytes, not trusted from the name: portals serve PDFs as
`application/octet-stream`, name DOC files `.docx`, and answer dead links with an HTML page.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path

from extract import metadata
from extract.checks import check_report
from extract.contract import Cells, Check, Report, Source
from extract.model import ExtractError, Parsed
from extract.statistics import read_statistics

MAX_BYTES = 200 * 1024 * 1024


DEFAULT_TIMEOUT = 60.0  # seconds for a whole download (NIANBAO_TIMEOUT, as for the crawl)


def load(location: str, timeout: float | None = None) -> tuple[bytes, str | None]:
    """The bytes at a path or http(s) URL, and the HTTP Content-Type if any. A download has one deadline,
    `timeout` seconds (default NIANBAO_TIMEOUT, else 60) for everything: connecting, redirects, headers and
    body, however slowly the server sends them."""
    if re.match(r"^https?://", location, re.I):
        data, content_type = _download(location, _timeout() if timeout is None else timeout)
    else:
        path = Path(location)
        if not path.is_file():
            raise ExtractError(f"no such file: {location}")
        if path.stat().st_size > MAX_BYTES:
            raise ExtractError(f"{location} is larger than {MAX_BYTES // 2**20} MB")
        data, content_type = path.read_bytes(), None
    if len(data) > MAX_BYTES:
        raise ExtractError(f"{location} is larger than {MAX_BYTES // 2**20} MB")
    return data, content_type


def _timeout() -> float:
    value = os.environ.get("NIANBAO_TIMEOUT")
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ExtractError(f"NIANBAO_TIMEOUT must be a positive number of seconds, not {value!r}")
    return seconds


class _Deadline:
    """Ends a download at its deadline: a timer shuts down every socket the download opened, which wakes a
    read blocked on a server that sends a byte now and then (a socket timeout bounds each read, not the
    whole)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def left(self) -> float:
        return max(0.01, self.end - time.monotonic())

    def track(self, sock) -> None:
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                _shut(sock)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *_):
        self.timer.cancel()


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _connection(base, deadline: _Deadline):
    class Connection(base):
        def __init__(self, *args, **kwargs):
            kwargs["timeout"] = deadline.left()  # connecting, too, only in what is left
            super().__init__(*args, **kwargs)

        def connect(self):
            super().connect()
            deadline.track(self.sock)

    return Connection


class _Redirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not re.match(r"^https?://", newurl, re.I):  # only http(s), whatever the server says
            raise urllib.error.URLError(f"redirected to a URL that is not http(s): {newurl[:100]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """urllib with http(s) only (no file:, ftp: or data: handlers) and every connection under the deadline."""

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_connection(http.client.HTTPConnection, deadline), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_connection(http.client.HTTPSConnection, deadline), req, context=self._context)

    opener = urllib.request.OpenerDirector()
    for handler in (HTTP(), HTTPS(), urllib.request.HTTPDefaultErrorHandler(), _Redirects(),
                    urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler()):
        opener.add_handler(handler)
    return opener


def _download(url: str, timeout: float) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"User-Agent": "nianbao/0.1"})
    chunks, size = [], 0
    with _Deadline(timeout) as deadline:
        try:
            with _opener(deadline).open(request, timeout=timeout) as response:
                content_type = response.headers.get("Content-Type")
                while True:
                    chunk = response.read1(65536)
                    if not chunk or deadline.expired:
                        break
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise ExtractError(f"{url} is larger than {MAX_BYTES // 2**20} MB")
                    chunks.append(chunk)
        except ExtractError:
            raise
        except Exception as e:  # noqa: BLE001 - any network failure is one line for the user
            if deadline.expired:
                raise ExtractError(f"cannot fetch {url}: no whole answer within {timeout:g} s") from None
            raise ExtractError(f"cannot fetch {url}: {_network_error(e)}") from None
        if deadline.expired:
            raise ExtractError(f"cannot fetch {url}: no whole answer within {timeout:g} s")
    return b"".join(chunks), content_type


def _network_error(error: Exception) -> str:
    """One line for a failed download (urllib's redirect-loop message has three)."""
    if isinstance(error, urllib.error.HTTPError):
        if 300 <= error.code < 400:
            return f"HTTP {error.code}: redirects in a loop or more than {_Redirects.max_redirections}"
        return f"HTTP {error.code} {' '.join(str(error.reason).split())}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, Exception) else error
        text = " ".join(str(getattr(error, "reason", error)).split())
    else:
        text = " ".join(str(error).split())
    return text[:200] or type(error).__name__


def sniff(data: bytes) -> str:
    """The media type the bytes really have."""
    head = data[:2048]
    if not data.strip():
        raise ExtractError("the document is empty")
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise ExtractError("a damaged ZIP archive, not a readable Word document") from None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        raise ExtractError("a ZIP archive that is not a Word (DOCX) document")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    for magic, media in ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
                         (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff")):
        if head.startswith(magic):
            return media
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if _looks_binary(head):
        raise ExtractError("not a document nianbao can read (binary data of no known format)")
    lowered = head.lower()
    if re.search(rb"<(!doctype html|html|head|body|meta|div|table|p|span|title)[\s>/]", lowered):
        return "text/html"
    return "text/plain"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > len(head) * 0.05


def parse(data: bytes, media_type: str, location: str, content_type: str | None = None, fetch=None) -> Parsed:
    """Run the reader for the media type (`fetch`: where an HTML page's pictures come from)."""
    if media_type == "text/html":
        from extract.readers.html import read_html
        return read_html(data, location, content_type, **({"fetch": fetch} if fetch else {}))
    if media_type == "text/plain":
        from extract.encoding import decode
        from extract.readers.text import read_text
        return read_text(decode(data, content_type)[0])
    if media_type == "application/pdf":
        from extract.readers.pdf import read_pdf
        return read_pdf(data)
    if media_type.endswith("wordprocessingml.document"):
        from extract.readers.docx import read_docx
        return read_docx(data)
    if media_type == "application/msword":
        from extract.readers.doc import read_doc
        return read_doc(data)
    if media_type.startswith("image/"):
        from extract.readers.image import read_image
        return read_image(data)
    raise ExtractError(f"no reader for {media_type}")


def extract_report(location: str, data: bytes | None = None, content_type: str | None = None,
                   with_text: bool = True, fetch=None) -> dict:
    """Read one document into the contract's object. Raises ExtractError for unreadable input."""
    if data is None:
        data, content_type = load(location)
    media_type = sniff(data)
    parsed = parse(data, media_type, location, content_type, fetch)
    parsed.media_type = media_type
    return assemble(parsed, location, hashlib.sha256(data).hexdigest(), with_text)


def assemble(parsed: Parsed, location: str, sha256: str, with_text: bool = True) -> dict:
    stats = read_statistics(parsed.tables)
    text = parsed.text
    title = metadata.clean_title(parsed.title) if parsed.title else metadata.title_from_text(text)
    agency = (metadata.agency_from_title(title) or metadata.agency_from_signature(text) or parsed.agency)
    has_tables = any((stats.active_disclosure, stats.applications, stats.review_litigation))
    warnings = list(parsed.warnings) + stats.warnings
    pictures_instead = not has_tables and bool(parsed.images) and "依申请公开" in text
    if pictures_instead:
        warnings.append(f"the statistics tables are pictures that could not be read ({len(parsed.images)} pictures)")
    return Report(
        source=Source(location, parsed.media_type, sha256),
        is_annual_report=metadata.is_annual_report(title, text),
        title=title,
        agency=agency,
        year=metadata.report_year(title, text),
        published=parsed.published or metadata.signature_date(text),
        table_format=stats.table_format if has_tables else None,
        tables_as_images=stats.from_image or pictures_instead,
        active_disclosure=stats.active_disclosure,
        applications=stats.applications,
        review_litigation=stats.review_litigation,
        cells=Cells(**stats.cells) if has_tables else Cells(),
        checks=[Check(**c) for c in check_report(stats.table_format, stats.applications, stats.review_litigation)],
        warnings=warnings,
        text=text if with_text else None,
    ).to_dict()
