"""Fixture paths and helpers shared by the tests. Every fixture lives in `tests/fixtures/` (see its README):
the repository tests on its own."""
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REAL = FIXTURES / "real"
SEEDS = FIXTURES / "seeds"
PINGTAN = REAL / "pingtan"


REDIS = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A real redis-server on 127.0.0.1 with its data on disk (appendonly, as a shared crawl's Redis should be
    run), restartable."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                         str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
                                         "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    """A command started in its own process group, ended: SIGTERM to the group, SIGKILL 20 s later."""
    import os
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def redis_server(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server is installed by make test")
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def pingtan_page(year: int) -> Path:
    """The Pingtan report page for a report year (the folder names carry the title)."""
    matches = sorted(PINGTAN.glob(f"*/*_平潭综合实验区{year}年*/page.html"))
    assert matches, f"no Pingtan page for {year}"
    return matches[0]


def select(path, sql: str, *args) -> list:
    """Rows of one query on a SQLite file, the connection closed again."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def nianbao(*args, timeout=600, check=True):
    """The real command in a subprocess."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "nianbao.cli", *map(str, args)], capture_output=True, text=True,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory):
    """The demo portal crawled, one report corrected on it after publication, crawled again, and built:
    {"data": folder, "sites": registry}."""
    from demo.portal import DemoPortal

    folder = tmp_path_factory.mktemp("archive")
    portal = DemoPortal(work_dir=folder / "portal").start()
    try:
        sites = portal.write_sites(folder / "sites.yaml")
        nianbao("crawl", "--sites", sites, "--data", folder / "data")
        portal.edit_a_published_report()
        nianbao("crawl", "--sites", sites, "--data", folder / "data")
        nianbao("build", "--data", folder / "data")
    finally:
        portal.stop()
    return {"data": folder / "data", "sites": sites}


class Site:
    """`nianbao serve` running in a subprocess on a free port (its stderr in `log` when given, so a test can
    read what it logged)."""

    def __init__(self, data, log=None):
        import socket
        import subprocess
        import sys
        import time
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._err = open(log, "wb") if log else subprocess.PIPE
        self.process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--data", str(data), "--port",
                                         str(self.port)], stdout=subprocess.DEVNULL, stderr=self._err)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/-/versions.json", timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    said = log.read_text(errors="replace") if log else self.process.stderr.read().decode()
                    raise RuntimeError(said[-2000:])
                time.sleep(0.2)
        raise RuntimeError("the site did not start")

    def get(self, path: str) -> tuple[int, str]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def json(self, path: str):
        import json

        status, body = self.get(path)
        assert status == 200, body[:500]
        return json.loads(body)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def site(demo_archive):
    running = Site(demo_archive["data"])
    yield running
    running.stop()
