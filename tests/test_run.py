"""Issue 5 acceptance 2 and 3: `nianbao run` on the demo portal serves a working archive and stops
cleanly; `nianbao schedule` runs twice, the second run incremental, never overlapping."""
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote

from demo.portal import DemoPortal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_run_crawls_builds_and_serves_the_demo_portal(tmp_path):
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "run", "--data", str(tmp_path / "data"),
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 400
        while time.time() < deadline:
            try:
                home = _get(base + "/")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()[-3000:]
                time.sleep(1)
        else:
            raise AssertionError("the site never came up")
        assert "年报档案" in home
        found = _get(f"{base}/archive/reports.json?_search={quote('复议')}&_shape=array&_col=id")
        assert '"id"' in found
        report = _get(base + "/report/1")
        assert "三、收到和处理政府信息公开申请情况" in report or "没有可读的统计表" in report
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output[-3000:]
    assert "demo portal" in output and f"open http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output


def test_schedule_runs_twice_incrementally_without_overlap(tmp_path):
    portal = DemoPortal(work_dir=tmp_path / "portal").start()
    try:
        sites = portal.write_sites(tmp_path / "sites.yaml")
        data = tmp_path / "data"
        result = subprocess.run([sys.executable, "-m", "nianbao.cli", "schedule", "--cron", "*/15 * * * * *",
                                 "--sites", str(sites), "--data", str(data), "--runs", "2"],
                                capture_output=True, text=True, timeout=300)
    finally:
        portal.stop()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("run starts") == 2 and result.stdout.count("run ends") == 2
    db = sqlite3.connect(data / "crawl.db")
    runs = db.execute("SELECT id, started, finished FROM crawl_runs ORDER BY id").fetchall()
    assert len(runs) == 2
    assert runs[0][2] <= runs[1][1], "the second run started after the first ended"
    downloaded = db.execute("SELECT COUNT(*) FROM fetches WHERE run_id = ? AND kind != 'list' AND status = 200",
                            (runs[1][0],)).fetchone()[0]
    conditional = db.execute("SELECT COUNT(*) FROM fetches WHERE run_id = ? AND status = 304", (runs[1][0],)).fetchone()[0]
    db.close()
    assert downloaded == 0 and conditional >= 20, "the second run downloads no unchanged document"
    assert (data / "archive.db").exists()
