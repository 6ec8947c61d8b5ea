"""A WARC file per crawl (warcio), valid under `warcio check`.

Bodies are written as Scrapy hands them over (already decompressed), so Content-Encoding and
Transfer-Encoding are dropped from the recorded headers and Content-Length is made true. A crawl killed
in the middle of a record leaves a torn gzip member at the end of its file; `repair` cuts the file back to
its last whole record before anything else is written, so what was archived stays readable.
"""
from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_DROP = {"content-encoding", "transfer-encoding", "content-length"}


class Warc:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = open(path, "ab")
        self.writer = WARCWriter(io.BytesIO(), gzip=False)  # builds records; each is gzipped by _append

    def _append(self, record) -> None:
        """One record as its own gzip member, at level 1: warcio's level 9 costs a millisecond a page."""
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False).write_record(record)
        self.file.write(gzip.compress(buffer.getvalue(), compresslevel=1))

    def write(self, url: str, method: str, request_headers: dict, status: int, reason: str,
              headers: list[tuple[str, str]], body: bytes) -> None:
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP] + [("Content-Length", str(len(body)))]
        http = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        response = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        request_http = StatusAndHeaders(f"{method} /{path} HTTP/1.1", list(request_headers.items()), is_http_request=True)
        request = self.writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=request_http)
        self._append(request)
        self._append(response)
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def repair(path: Path) -> int:
    """Cut a WARC file back to its last complete record; returns the bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    good = 0
    try:
        with open(path, "rb") as f:
            iterator = ArchiveIterator(f)
            for record in iterator:
                record.content_stream().read()
                iterator.read_to_end(record)
                good = iterator.get_record_offset() + iterator.get_record_length()
    except Exception:  # noqa: BLE001 - a torn record ends the scan; what came before is kept
        pass
    if good < size:
        with open(path, "r+b") as f:
            f.truncate(good)
            os.fsync(f.fileno())
    return size - good
