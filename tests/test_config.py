"""Configuration in one place: DATA/nianbao.toml, NIANBAO_* variables, the command line, in that order."""
import pytest

from demo.portal import DemoPortal
from nianbao.config import ConfigError, load
from tests.conftest import nianbao


def test_file_then_environment_then_defaults(tmp_path):
    (tmp_path / "nianbao.toml").write_text('delay = 3\nport = 9001\nsites = "my-sites.yaml"\n', encoding="utf-8")
    values = load(tmp_path, {"NIANBAO_PORT": "9002", "NIANBAO_USER_AGENT": "lab-crawler/2"})
    assert values["delay"] == (3.0, str(tmp_path / "nianbao.toml"))
    assert values["port"] == (9002, "NIANBAO_PORT")
    assert values["user_agent"] == ("lab-crawler/2", "NIANBAO_USER_AGENT")
    assert values["sites"][0] == str(tmp_path / "my-sites.yaml"), "a path in the file is relative to the file"
    assert values["timeout"] == (60, "default")


@pytest.mark.parametrize("text, environ, message", [
    ("colour = 'red'\n", {}, "unknown setting colour"),
    ("port = 'eighty'\n", {}, "port must be int"),
    ("port = 80.5\n", {}, "port must be int"),
    ("delay = [\n", {}, "is not valid TOML"),
    ("", {"NIANBAO_CONCURRENCY": "many"}, "NIANBAO_CONCURRENCY: concurrency must be int"),
])
def test_a_bad_setting_is_named(tmp_path, text, environ, message):
    (tmp_path / "nianbao.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, environ)


def test_config_command_shows_each_source_and_errors_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "nianbao.toml").write_text("delay = 2.5\n", encoding="utf-8")
    shown = nianbao("config", "--data", data).stdout
    assert f"delay = 2.5  # seconds between two requests to one portal; from {data / 'nianbao.toml'}" in shown
    assert "port = 8001  # port the site is served on; from default" in shown
    (data / "nianbao.toml").write_text("delay = 'slow'\n", encoding="utf-8")
    failed = nianbao("build", "--data", data, check=False)
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"nianbao: {data / 'nianbao.toml'}: delay must be float, not 'slow'"


def test_the_crawl_uses_the_settings_file_and_the_command_line_wins(tmp_path, monkeypatch):
    portal = DemoPortal(work_dir=tmp_path / "portal").start()
    try:
        sites = portal.write_sites(tmp_path / "sites.yaml")
        data = tmp_path / "data"
        data.mkdir()
        (data / "nianbao.toml").write_text(f'sites = "{tmp_path / "missing.yaml"}"\n'
                                           'user_agent = "lab-crawler/2 (mailto:lab@example.org)"\n', encoding="utf-8")
        monkeypatch.setenv("NIANBAO_DATA", str(data))
        crawled = nianbao("crawl", "--sites", sites, "--site", "demo-generic", "--no-delay")
    finally:
        portal.stop()
    assert "demo-generic" in crawled.stdout and (data / "crawl.db").exists(), "NIANBAO_DATA chose the data directory"
    assert portal.user_agents == {"lab-crawler/2 (mailto:lab@example.org)"}
