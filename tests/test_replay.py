"""Issue 12 acceptance 2: a real column replayed as a real crawl sees it. The saved 平潭 column page and its
saved report pages are served under their original https URLs through an HTTP proxy on 127.0.0.1 (CONNECT,
then TLS with a certificate of our own, as any intercepting proxy does): the crawler, given only the proxy
setting, finds every report the column lists, requests no menu link, and says which listed pages the portal
no longer has (404) apart from failures."""
import re
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import yaml

from cms import attachments
from tests.conftest import PINGTAN, select

COLUMN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"


def saved_pages() -> dict[str, bytes]:
    """URL → bytes of everything saved from the column: the list page and each report page under the URL the
    page names itself (`<meta name="Url">`)."""
    pages = {COLUMN: (PINGTAN / "_lists" / "index.html").read_bytes()}
    for path in PINGTAN.glob("*/*/page.html"):
        body = path.read_bytes()
        url = re.search(rb'<meta name="Url" content="([^"]+)"', body).group(1).decode()
        pages[url] = body
    return pages


class ReplayProxy:
    """An HTTP proxy that answers from saved pages by URL (404 for anything else) and logs every URL asked."""

    def __init__(self, pages: dict[str, bytes], cert: str, key: str):
        self.pages, self.asked = pages, []
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            reader = conn.makefile("rb")
            line, headers = self._head(reader)
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                tls = self.tls.wrap_socket(conn, server_side=True)
                reader = tls.makefile("rb")
                while True:
                    line, headers = self._head(reader)
                    if not line:
                        return
                    path = line.split(" ", 2)[1]
                    self._answer(tls, f"https://{target.split(':')[0]}{path}")
            else:
                self._answer(conn, target)
        except (OSError, ValueError, ssl.SSLError):
            pass
        finally:
            conn.close()

    @staticmethod
    def _head(reader):
        line = reader.readline().decode("latin-1").strip()
        headers = {}
        while True:
            header = reader.readline().decode("latin-1").strip()
            if not header:
                return line, headers
            name, _, value = header.partition(":")
            headers[name.lower()] = value.strip()

    def _answer(self, conn, url: str):
        self.asked.append(url)
        body = self.pages.get(url)
        status = b"200 OK" if body is not None else b"404 Not Found"
        body = body if body is not None else b"<html><body>404</body></html>"
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)

    def stop(self):
        self.listener.close()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    from demo.portal import DemoPortal

    folder = tmp_path_factory.mktemp("replay")
    portal = DemoPortal.__new__(DemoPortal)  # only its certificate maker
    portal.host, portal.work_dir, portal.folder = "www.pingtan.gov.cn", folder, folder
    cert, key = portal._self_signed()
    proxy = ReplayProxy(saved_pages(), str(cert), str(key))
    sites = folder / "sites.yaml"
    sites.write_text(yaml.safe_dump([{"name": "pingtan-zfxxgknb", "agency": "平潭综合实验区", "region": "福建省福州市平潭县",
                                      "start_urls": [COLUMN], "delay": 0, "render": False}], allow_unicode=True),
                     encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "https_proxy": f"http://127.0.0.1:{proxy.port}",
           "http_proxy": f"http://127.0.0.1:{proxy.port}", "HOME": str(folder)}
    result = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--data",
                             str(folder / "data")], capture_output=True, text=True, timeout=300, env=env)
    yield {"data": folder / "data", "asked": list(proxy.asked), "result": result}
    proxy.stop()


def test_every_listed_report_is_requested_and_every_saved_one_kept(replayed):
    from cms import DIALECTS

    listed = [i.url for i in DIALECTS["trs"].parse_list(saved_pages()[COLUMN].decode(), COLUMN).items]
    assert len(listed) == 10 and set(listed) <= set(replayed["asked"])
    keys = {k for (k,) in select(replayed["data"] / "crawl.db", "SELECT DISTINCT report_key FROM report_documents")}
    assert keys == {f"平潭综合实验区|{year}" for year in range(2019, 2025)}


def test_no_menu_link_is_requested(replayed):
    pages = saved_pages()
    listed = {i.url for i in __import__("cms").DIALECTS["trs"].parse_list(pages[COLUMN].decode(), COLUMN).items}
    linked = {a.url for url, body in pages.items() if url != COLUMN for a in attachments(body.decode(), url)}
    allowed = {COLUMN, "https://www.pingtan.gov.cn/robots.txt"} | listed | linked
    strays = [url for url in replayed["asked"] if url not in allowed and not re.search(r"\.(png|jpe?g|gif)$", url)]
    assert strays == []


def test_pages_the_portal_no_longer_has_are_counted_apart(replayed):
    (status, detail, found, failed, missing), = select(
        replayed["data"] / "crawl.db", "SELECT status, detail, found, failed, missing FROM crawl_run_sites")
    assert (found, failed, missing) == (6, 0, 4)  # 2025 (not kept here), 2018, 2017, 2016: 404
    assert status == "partial" and "the list states 20 items and shows 10; rendering is off" in detail
