"""The site registry: a site is a row of data (sites.yaml), never code.

Each entry names a portal's 年报 column: `name`, `agency`, optional `region`, `start_urls`, optional
`cms` (detected from the page when absent), `allowed_domains`, and per-site settings: `delay`,
`concurrency`, `encoding` (override for pages that lie about theirs), `legacy_tls` (old servers),
`timeout` (seconds per download, redirects and retries included) and `max_size_mb` (a larger download is
dropped, not stored), and the limits of a column's paging: `max_pages` (list pages read per start URL),
`max_depth` (list pages followed one from another) and `max_list_mb` (a larger list page, once
decompressed, is not read); their defaults are in crawler/settings.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

CMS_NAMES = ("trs", "hanweb", "vsb", "gkmlpt", "generic")
DEFAULT_SITES = Path(__file__).resolve().parent.parent / "sites.yaml"


class RegistryError(Exception):
    """A registry that cannot be used; the message is one line."""


@dataclass
class Site:
    name: str
    agency: str
    start_urls: list[str]
    region: str | None = None
    cms: str | None = None
    allowed_domains: list[str] = field(default_factory=list)
    delay: float | None = None
    concurrency: int | None = None
    encoding: str | None = None
    legacy_tls: bool = False
    timeout: float | None = None
    max_size_mb: float | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    max_list_mb: float | None = None
    render: bool = True  # a list built by script may be read through a browser (crawler/render.py)
    evidence: str | None = None  # a real report page of this column, seen in a public stored page
    evidence_title: str | None = None

    def __post_init__(self):
        if not self.allowed_domains:
            self.allowed_domains = sorted({urlparse(u).hostname for u in self.start_urls if urlparse(u).hostname})


def _site(entry: dict, index: int) -> Site:
    if not isinstance(entry, dict):
        raise RegistryError(f"entry {index + 1} is not a mapping")
    missing = [k for k in ("name", "agency", "start_urls") if not entry.get(k)]
    if missing:
        raise RegistryError(f"entry {index + 1} ({entry.get('name', '?')}) lacks {', '.join(missing)}")
    unknown = set(entry) - {f for f in Site.__dataclass_fields__}
    if unknown:
        raise RegistryError(f"entry {entry['name']}: unknown keys {', '.join(sorted(unknown))}")
    urls = entry["start_urls"]
    if isinstance(urls, str):
        urls = [urls]
    for url in urls:
        if not re.match(r"^https?://[^/\s]+", url):
            raise RegistryError(f"entry {entry['name']}: not an http(s) URL: {url}")
    for key in ("max_pages", "max_depth", "max_list_mb", "max_size_mb", "timeout"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
                                  or (key in ("max_pages", "max_depth") and not isinstance(value, int))):
            kind = "a positive whole number" if key in ("max_pages", "max_depth") else "a positive number"
            raise RegistryError(f"entry {entry['name']}: {key} must be {kind}, not {value!r}")
    if entry.get("cms") and entry["cms"] not in CMS_NAMES:
        raise RegistryError(f"entry {entry['name']}: cms must be one of {', '.join(CMS_NAMES)}")
    return Site(**{**entry, "start_urls": list(urls)})


def load_sites(path: str | Path = DEFAULT_SITES) -> list[Site]:
    try:
        entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"no such registry: {path}") from None
    except IsADirectoryError:
        raise RegistryError(f"{path} is a directory: give the registry file (a .yaml list of sites)") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{path} is not a UTF-8 text file") from None
    except yaml.YAMLError as e:
        raise RegistryError(f"{path} is not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(entries, list):
        raise RegistryError(f"{path} must be a list of sites")
    sites = [_site(entry, i) for i, entry in enumerate(entries)]
    names = [s.name for s in sites]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise RegistryError(f"{path}: duplicated site names {', '.join(duplicated)}")
    return sites
