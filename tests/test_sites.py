"""The site registry and the per-site settings the crawler derives from it."""
import subprocess
import sys

import pytest

from crawler.run import site_settings
from crawler.sites import RegistryError, Site, load_sites


def test_shipped_registry_has_real_columns():
    sites = load_sites()
    assert len(sites) >= 50
    assert len({s.name for s in sites}) == len(sites)
    assert all(s.start_urls[0].startswith(("http://", "https://")) and ".gov.cn" in s.start_urls[0] for s in sites)
    assert all(s.agency for s in sites)
    assert "卫生健康" in sites[0].agency, "health commissions first"
    assert sum(1 for s in sites if s.region) >= 50


@pytest.mark.parametrize("text, message", [
    ("- name: a\n  agency: b\n", "lacks start_urls"),
    ("- name: a\n  agency: b\n  start_urls: [ftp://x]\n", "not an http(s) URL"),
    ("- name: a\n  agency: b\n  start_urls: [http://x.gov.cn/]\n  cms: joomla\n", "cms must be one of"),
    ("- name: a\n  agency: b\n  start_urls: [http://x.gov.cn/]\n  colour: red\n", "unknown keys colour"),
    ("- {name: a, agency: b, start_urls: [http://x.gov.cn/]}\n- {name: a, agency: c, start_urls: [http://y.gov.cn/]}\n",
     "duplicated site names a"),
    ("name: a\n", "must be a list"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_registry_errors_are_one_line(tmp_path, text, message):
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_sites(path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_politeness_per_site():
    polite = site_settings(Site(name="a", agency="b", start_urls=["http://x.gov.cn/"]))
    assert polite["DOWNLOAD_DELAY"] >= 1 and polite["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2
    assert polite["AUTOTHROTTLE_ENABLED"] is True
    greedy = site_settings(Site(name="a", agency="b", start_urls=["http://x.gov.cn/"], concurrency=10, delay=3))
    assert greedy["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2 and greedy["DOWNLOAD_DELAY"] == 3
    old = site_settings(Site(name="a", agency="b", start_urls=["https://x.gov.cn/"], legacy_tls=True))
    assert old["DOWNLOAD_TLS_MIN_VERSION"] == "TLSv1.0"
    assert old["DOWNLOADER_CLIENTCONTEXTFACTORY"] == "crawler.legacy_tls.LegacyTLSContextFactory"


def test_crawl_command_rejects_unknown_site():
    result = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--site", "no-such-site"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "nianbao: no site named no-such-site in the registry\n"


def test_registry_of_hundreds_of_real_columns_each_traced_to_a_real_report():
    """Issue 12 §7: ≥ 300 real columns in ≥ 25 provinces, each with the real report page it was derived from."""
    from urllib.parse import urlparse

    sites = load_sites()
    assert len(sites) >= 300
    provinces = {s.region[:2] for s in sites if s.region}
    assert len(provinces) >= 25, sorted(provinces)
    for site in sites:
        assert site.evidence and site.evidence.startswith(("http://", "https://")), site.name
        evidence_host = urlparse(site.evidence).hostname
        assert evidence_host.endswith(".gov.cn") or evidence_host.endswith(".gov"), site.name
        start_domain = ".".join(urlparse(site.start_urls[0]).hostname.split(".")[-3:])
        assert evidence_host.endswith(start_domain), (site.name, site.evidence, site.start_urls[0])
        if site.evidence_title:
            assert "报告" in site.evidence_title or "年报" in site.evidence_title, site.name
