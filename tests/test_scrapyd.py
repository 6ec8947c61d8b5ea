"""Issue 5 acceptance 4: the Scrapy project deploys to a real Scrapyd on 127.0.0.1 with `scrapyd-deploy`, and a
crawl of the demo portal scheduled through Scrapyd's HTTP API fills a data directory `nianbao build` reads."""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from demo.portal import DemoPortal
from tests.conftest import nianbao, select

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base: str, endpoint: str, **form) -> dict:
    data = urllib.parse.urlencode(form).encode() if form else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=data, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    """A Scrapyd of its own: its eggs, logs and job database in a temporary folder."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n"
        "max_proc = 2\npoll_interval = 0.5\n", encoding="utf-8")
    process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            assert _api(base, "daemonstatus.json")["status"] == "ok"
            break
        except OSError:
            assert process.poll() is None and time.time() < deadline, process.stdout.read().decode()[-2000:]
            time.sleep(0.5)
    yield base, home
    process.terminate()
    process.wait(timeout=30)


def test_deploy_to_scrapyd_and_schedule_a_crawl(scrapyd, tmp_path):
    base, home = scrapyd
    # The project as a user's checkout has it (a copy, so the egg's build folders stay out of this one); the
    # target is the user's own, in their ~/.config/scrapy.cfg, as for any Scrapyd that is not localhost:6800.
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("cms", "crawler", "extract", "archive", "nianbao", "demo"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        shutil.copy(ROOT / name, project / name)
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {base}/\nproject = nianbao\n", encoding="utf-8")
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "test", "--version", "r1"], cwd=project,
                            env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(config)},
                            capture_output=True, text=True, timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout + deploy.stderr
    assert _api(base, "listprojects.json")["projects"] == ["nianbao"]
    assert "site" in _api(base, "listspiders.json?project=nianbao")["spiders"]

    portal = DemoPortal(work_dir=tmp_path / "portal").start()
    try:
        sites = portal.write_sites(tmp_path / "sites.yaml")
        data = tmp_path / "data"
        jobs = {name: _api(base, "schedule.json", project="nianbao", spider="site", site=name, sites=str(sites),
                           data=str(data))["jobid"] for name in ("demo-trs", "demo-blocked")}
        deadline = time.time() + 300
        while True:
            finished = {job["id"] for job in _api(base, "listjobs.json?project=nianbao")["finished"]}
            if set(jobs.values()) <= finished:
                break
            assert time.time() < deadline, "the Scrapyd jobs did not finish"
            time.sleep(1)
    finally:
        portal.stop()

    for name, job in jobs.items():
        log = (home / "logs" / "nianbao" / "site" / f"{job}.log").read_text(encoding="utf-8")
        assert "Traceback" not in log, log[-3000:]
    crawl = data / "crawl.db"
    assert select(crawl, "SELECT site, status FROM crawl_run_sites ORDER BY site") == [
        ("demo-blocked", "blocked"), ("demo-trs", "ok")]
    keys = {k for (k,) in select(crawl, "SELECT DISTINCT report_key FROM report_documents WHERE site = 'demo-trs'")}
    assert len(keys) == 4 and "平潭综合实验区|2022" in keys
    assert select(crawl, "SELECT COUNT(*) FROM crawl_runs WHERE finished IS NULL") == [(0,)]
    built = nianbao("build", "--data", str(data))
    assert "4 reports" in built.stdout, built.stdout
