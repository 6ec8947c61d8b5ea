"""Issue 13 §2, the first minutes: `nianbao crawl --help` names a site the shipped registry has; a taken port
for `serve` and `run` is one line naming the port and what to do (for `run`, before any crawl); `extract` on
a file that is not an annual report says so."""
import re
import socket
import subprocess
import sys

import pytest
import yaml

from nianbao.cli import EXAMPLES
from tests.conftest import ROOT


def nianbao(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_the_crawl_example_names_a_site_of_the_registry():
    names = {site["name"] for site in yaml.safe_load((ROOT / "sites.yaml").read_text(encoding="utf-8"))}
    shown = re.findall(r"--site (\S+)", EXAMPLES["crawl"])
    assert shown and set(shown) <= names, shown
    result = nianbao("crawl", "--help")
    assert f"--site {shown[0]}" in result.stdout


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_taken_port_says_which_and_what_to_do(taken_port, tmp_path):
    from archive.build import write_archive

    write_archive(tmp_path / "archive.db", [], {})
    result = nianbao("serve", "--data", tmp_path, "--port", taken_port, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"port {taken_port}" in result.stderr and "--port" in result.stderr


def test_run_on_a_taken_port_stops_before_crawling(taken_port, tmp_path):
    result = nianbao("run", "--data", tmp_path / "data", "--port", taken_port, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"port {taken_port}" in result.stderr, result.stderr
    assert "crawl run" not in result.stdout and not (tmp_path / "data" / "crawl.db").exists()


def test_extract_on_a_file_that_is_not_a_report_says_so(tmp_path):
    page = tmp_path / "menu.html"
    page.write_text("<html><head><title>食堂本周菜单</title></head><body><p>周一：米饭、青菜。</p></body></html>",
                    encoding="utf-8")
    result = nianbao("extract", "--json", page)
    assert result.returncode == 0, result.stderr  # what could be read is still given
    assert result.stderr.count("\n") == 1 and "does not look like a 政府信息公开工作年度报告" in result.stderr
    assert '"is_annual_report": false' in result.stdout
    report = nianbao("extract", "--json", "--no-text", sorted((ROOT / "tests" / "fixtures" / "seeds").glob("001_*"))[0])
    assert report.returncode == 0 and "does not look like" not in report.stderr
