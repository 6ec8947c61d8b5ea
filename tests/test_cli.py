"""The `nianbao` command as a user runs it: extract, every command's help, errors that say what to do."""
import json
import subprocess
import sys

import pytest

from nianbao.cli import EXAMPLES, main
from tests.conftest import SEEDS, pingtan_page


def nianbao(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=120)


def test_summary_lays_out_tables_and_failed_checks():
    result = nianbao("extract", str(pingtan_page(2020)))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "平潭综合实验区2020年度政府信息公开工作年度报告" in out
    assert "三、收到和处理政府信息公开申请情况" in out and "自然人" in out
    assert "FAILED applications.results_sum [natural_person]: 20 = 20 ≠ 26" in out
    assert "FAILED applications.results_sum [total]" in out
    assert "checks: 38 passed, 2 failed, 0 not checked" in out


def test_json_is_the_contract():
    result = nianbao("extract", "--json", str(next(SEEDS.glob("001_*.txt"))))
    report = json.loads(result.stdout)
    assert list(report) == ["schema_version", "source", "is_annual_report", "title", "agency", "year", "published",
                            "table_format", "tables_as_images", "active_disclosure", "applications",
                            "review_litigation", "cells", "checks", "warnings", "text"]
    assert report["cells"] == {"inferred": [], "blank": [], "unreadable": []}
    assert report["schema_version"] == 2 and len(report["source"]["sha256"]) == 64
    assert report["text"].startswith("北京市大兴区卫生健康委员会")
    no_text = json.loads(nianbao("extract", "--json", "--no-text", str(next(SEEDS.glob("001_*.txt")))).stdout)
    assert no_text["text"] is None and no_text["applications"] == report["applications"]


def test_unreadable_input_is_one_line(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"\x00\x01\x02" * 1000)
    result = nianbao("extract", str(path))
    assert result.returncode == 1
    assert result.stderr.startswith("nianbao: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert f"usage: nianbao {command}" in shown and "example" in shown
    assert f"nianbao {command}" in shown.split("example", 1)[1], "the example uses the command"


@pytest.mark.parametrize("args, message", [
    (["build"], "run `nianbao crawl --data"),
    (["serve"], "run `nianbao build --data"),
    (["export"], "run `nianbao build --data"),
    (["schedule"], "give --cron"),
    (["run", "--sites", "nowhere.yaml"], "no such sites file: nowhere.yaml"),
    (["crawl", "--sites", "nowhere.yaml"], "nowhere.yaml"),
])
def test_errors_say_what_to_do(tmp_path, args, message):
    result = nianbao(*args, "--data", str(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
