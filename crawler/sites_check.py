"""`nianbao sites check`: is each column of the registry still where the registry says it is?

Each start URL is fetched once, politely, through Scrapy with the project's settings (user agent, robots.txt,
the http(s)-only guard of crawler/guard.py, the list size limit) and nothing else: no link of the page is
followed, nothing is stored, no data directory is written but its log. One request at a time per host, each
host waiting the longest `delay` its sites ask for (else the configured delay) between two requests, at most
`concurrency` requests in flight in all, one retry of a connection that failed (none of an answer, none of a
timeout), `timeout` seconds per start URL from when it is sent, its redirects included.

A start URL is
- `reachable`: HTTP 200, not an anti-bot wall; the page is read as the crawl reads a column (its CMS detected,
  its list parsed by cms/) and the detail says how many report links it lists;
- `moved`: it redirects (HTTP 301/308 permanently, 302/303/307, a meta refresh or a script that only sets
  `location`, temporarily) to a page that answers 200; the redirects are followed on the site's own hosts as
  the crawl would (crawler/guard.py), a redirect anywhere else is reported with its target, not fetched;
- `gone`: HTTP 404 or 410, or no such host (DNS);
- `blocked`: an anti-bot wall (crawler/antibot.py: HTTP 412 with 瑞数 cookies, a JavaScript challenge page, a
  cookie/redirect loop) or HTTP 401/403;
- `forbidden`: robots.txt forbids it (the crawl would not read it either);
- `unreachable`: connection refused, timed out, TLS, another HTTP status, with the reason.

Reasons are worded as crawler/reasons.py words them for a crawl. Sites that ask for legacy TLS are checked by a
crawler of their own (their TLS settings are a crawler's); every other site shares one crawler, so a host's
delay holds across the sites it serves.
"""
from __future__ import annotations

import csv
import json
import logging
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import scrapy
from scrapy.exceptions import IgnoreRequest

from crawler import settings as defaults
from crawler.antibot import wall
from crawler.guard import redirect_refusal
from crawler.reasons import reason as crawl_reason
from crawler.sites import Site

STATUSES = ("reachable", "moved", "gone", "blocked", "forbidden", "unreachable")
TIMEOUT = 20.0  # seconds per start URL, its redirects included (a site's own `timeout` wins)
CONCURRENCY = 8  # requests in flight in all (one per host)
MAX_HOPS = 5  # redirects followed from one start URL
PERMANENT = (301, 308)
_LOCATION = re.compile(r"""(?:window\.|self\.|top\.|document\.)?location(?:\.href)?\s*=\s*['"]([^'"]+)['"]|"""
                       r"""location\.replace\(\s*['"]([^'"]+)['"]""")
_MB = 1024 * 1024


@dataclass
class Result:
    """What one start URL answered."""

    site: str
    url: str
    region: str | None = None
    status: str = "unreachable"
    reason: str | None = None  # the group it is printed in (None for reachable)
    detail: str = ""
    http_status: int | None = None  # the last answer's status (0 when none came)
    final_url: str | None = None  # where the redirects end (moved)
    redirects: list = field(default_factory=list)  # [status or "meta refresh"/"script", target] per hop
    dialect: str | None = None
    report_links: int | None = None  # report links the (final) page lists


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _headers(headers) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in headers.items()}


def _seconds(value: float) -> str:
    return f"{value:g} s"


class CheckSpider(scrapy.Spider):
    """One request per start URL (and per redirect hop); never a request for a link of a page."""

    name = "sites-check"

    def __init__(self, targets: list[tuple[Site, str]], results: list, timeout: float = TIMEOUT, progress=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.targets, self.results, self.timeout, self.progress = targets, results, timeout, progress
        self.done: set[int] = set()
        self.stopped: str | None = None
        self.list_maxsize = defaults.LIST_MAXSIZE

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.list_maxsize = crawler.settings.getint("LIST_MAXSIZE", defaults.LIST_MAXSIZE)
        return spider

    async def start(self):
        for index, (site, url) in enumerate(self.targets):
            budget = site.timeout or self.timeout
            meta = {"target": index, "chain": [], "kind": "list", "handle_httpstatus_all": True,
                    "dont_redirect": True, "budget": budget, "spent": 0.0, "download_timeout": budget,
                    "download_maxsize": int(site.max_list_mb * _MB) if site.max_list_mb else self.list_maxsize}
            yield scrapy.Request(url, callback=self.answer, errback=self.failed, dont_filter=True, meta=meta)

    def closed(self, reason: str) -> None:
        if reason != "finished":  # stopped: by a signal (Ctrl-C) or a shutdown
            self.stopped = reason

    # --- answers -----------------------------------------------------------------------------------

    def record(self, request, status: str, reason: str | None, detail: str, **found) -> None:
        index = request.meta["target"]
        if index in self.done:
            return
        self.done.add(index)
        site, url = self.targets[index]
        chain = request.meta["chain"]
        result = Result(site.name, url, site.region, status, reason, detail, redirects=[list(h) for h in chain],
                        **found)
        self.results.append(result)
        self.logger.info("%s %s: %s (%s)", site.name, url, status, detail)
        if self.progress:
            self.progress()

    def answer(self, response):
        request = response.request
        site, start = self.targets[request.meta["target"]]
        chain = request.meta["chain"]
        status = response.status
        headers = _headers(response.headers)
        blocked = wall(status, headers, response.body, [start] + [target for _, target in chain])
        if blocked:
            return self.record(request, "blocked", blocked, self._after(chain, blocked), http_status=status)
        if 300 <= status < 400 and status != 304:
            location = headers.get("location", "").split(",")[0].strip()
            if not location:
                return self.record(request, "unreachable", f"HTTP {status}",
                                   self._after(chain, f"HTTP {status} without a Location"), http_status=status)
            return self.hop(request, response, status, urljoin(response.url, location))
        if status == 200:
            return self.page(request, response, site)
        if status in (404, 410):
            return self.record(request, "gone", f"HTTP {status}", self._after(chain, f"HTTP {status}"),
                               http_status=status)
        if status in (401, 403):
            return self.record(request, "blocked", f"HTTP {status}", self._after(chain, f"HTTP {status}"),
                               http_status=status)
        return self.record(request, "unreachable", f"HTTP {status}", self._after(chain, f"HTTP {status}"),
                           http_status=status)

    def page(self, request, response, site: Site):
        chain = request.meta["chain"]
        try:
            text, dialect, listing = _read_list(response, site)
        except Exception as e:  # noqa: BLE001 - a page the parser chokes on is still an answer
            text, dialect, listing = "", None, None
            said = f"HTTP 200; the page could not be read ({_one_line(e)})"
            links = None
        else:
            from crawler.titles import classify_title

            links = sum(classify_title(item.title) == "report" for item in listing.items)
            said = _describe(dialect, links, listing)
        if not links and len(chain) < MAX_HOPS:  # a page that only sends the browser on: a redirect by another name
            target = _refresh(response, text)
            if target:
                return self.hop(request, response, target[0], target[1])
        found = {"http_status": 200, "dialect": dialect, "report_links": links}
        if not chain:
            return self.record(request, "reachable", None, said, **found)
        permanent = all(code in PERMANENT for code, _ in chain)
        return self.record(request, "moved", "moved permanently" if permanent else "moved temporarily",
                           f"{_codes(chain)} → {response.url}: {said}", final_url=response.url, **found)

    def hop(self, request, response, code, target: str):
        """Follow a redirect (or a meta refresh) where the crawl would follow it, or report where it leads."""
        site, start = self.targets[request.meta["target"]]
        chain = request.meta["chain"] + [(code, target)]
        seen = [start] + [t for _, t in request.meta["chain"]]
        if target in seen:
            request.meta["chain"] = chain
            return self.record(request, "blocked", "cookie/redirect loop", f"cookie/redirect loop: {_codes(chain)}",
                               http_status=response.status)
        permanent = all(c in PERMANENT for c, _ in chain)
        moved = "moved permanently" if permanent else "moved temporarily"
        refused = redirect_refusal(start, scrapy.Request(target), site.allowed_domains)
        if refused or len(chain) > MAX_HOPS:
            request.meta["chain"] = chain
            why = refused or f"more than {MAX_HOPS} redirects"
            return self.record(request, "moved", moved, f"{_codes(chain)} → {target}: {why}, not fetched",
                               http_status=response.status, final_url=target)
        # The hop has what is left of the start URL's time (the time waited in the host's queue not counted).
        spent = request.meta["spent"] + request.meta.get("download_latency", 0.0)
        left = request.meta["budget"] - spent
        if left <= 0:
            request.meta["chain"] = chain
            return self.record(request, "unreachable", "timed out",
                               f"timed out after {_seconds(request.meta['budget'])} ({_codes(chain)} → {target})",
                               http_status=response.status)
        meta = {key: request.meta[key] for key in ("target", "kind", "handle_httpstatus_all", "dont_redirect",
                                                    "budget", "download_maxsize")}
        meta.update(chain=chain, spent=spent, download_timeout=round(left, 2))
        return scrapy.Request(target, callback=self.answer, errback=self.failed, dont_filter=True, meta=meta)

    @staticmethod
    def _after(chain: list, said: str) -> str:
        return f"{said} at {chain[-1][1]} ({_codes(chain)})" if chain else said

    def failed(self, failure):
        request = failure.request
        error = failure.value
        chain = request.meta["chain"]
        if isinstance(error, IgnoreRequest):
            message = str(error)
            if "robots.txt" in message:
                return self.record(request, "forbidden", "robots.txt forbids the column",
                                   self._after(chain, "robots.txt forbids it"), http_status=0)
            if "decompression" in message:
                return self.record(request, "unreachable", "too large",
                                   self._after(chain, "larger than the list size limit once decompressed"),
                                   http_status=0)
            return self.record(request, "unreachable", message[:120], self._after(chain, message[:200]), http_status=0)
        said = _one_line(error)
        if "larger than download max size" in said:
            return self.record(request, "unreachable", "too large", self._after(chain, "larger than the size limit"),
                               http_status=0)
        why = crawl_reason("unreachable", said, 0)
        host = urlparse(request.url).hostname
        if why == "DNS: no such host":
            return self.record(request, "gone", why, self._after(chain, f"{why} ({host})"), http_status=0)
        if why == "timed out":
            detail = f"timed out after {_seconds(request.meta['budget'])}"
            return self.record(request, "unreachable", why, self._after(chain, detail), http_status=0)
        if why == "connection refused":
            return self.record(request, "unreachable", why, self._after(chain, why), http_status=0)
        if why == "TLS handshake failed":  # OpenSSL's own words, out of Twisted's list of failures
            cause = re.findall(r"'([^']+)'\)\]", said)
            detail = f"{why} ({cause[-1]})" if cause else f"{why} ({said})"
            return self.record(request, "unreachable", why, self._after(chain, detail), http_status=0)
        return self.record(request, "unreachable", why, self._after(chain, said), http_status=0)


class NoRetryOfTimeouts:
    """Downloader middleware (just above Scrapy's retry middleware): a start URL that timed out is not asked
    again; a connection that failed is retried once. (crawler/limits.py's deadline, which the crawl uses, counts
    the time a request waits in its host's queue: here, where all the sites of a host queue behind its delay,
    each request has its own timeout from when it is sent, and a redirect what is left of it.)"""

    def process_exception(self, request, exception):
        from scrapy.exceptions import DownloadTimeoutError

        if isinstance(exception, DownloadTimeoutError):
            request.meta["dont_retry"] = True
        return None


def _codes(chain: list) -> str:
    return " → ".join(str(code) for code, _ in chain)


def _read_list(response, site: Site):
    """The page read as the crawl reads a column: its text, its dialect and its listing (cms/)."""
    from cms import DIALECTS, detect
    from extract.encoding import decode

    body = response.body
    if site.encoding:
        text = body.decode(site.encoding, errors="replace")
    else:
        text = decode(body, response.headers.get("Content-Type", b"").decode("latin-1"))[0]
    url = response.request.url if "#" in response.request.url else response.url
    dialect = site.cms or detect(text, url)
    return text, dialect, DIALECTS[dialect].parse_list(text, url)


def _describe(dialect: str, links: int, listing) -> str:
    if not links:
        said = f"{dialect} page, no report links on it"
    else:
        said = f"{dialect} list, {links} report link{'s' if links != 1 else ''}"
    if listing.follow:
        said += f", {len(listing.follow)} more list page{'s' if len(listing.follow) != 1 else ''}"
    if listing.scripted:
        said += f" ({listing.scripted})"
    return said


def _refresh(response, text: str) -> tuple[str, str] | None:
    """A meta refresh or a small page whose script only sets `location`: (kind, absolute target) or None."""
    from scrapy.http import TextResponse
    from scrapy.utils.response import get_meta_refresh

    if isinstance(response, TextResponse):
        try:
            interval, url = get_meta_refresh(response)
        except Exception:  # noqa: BLE001 - an undecodable page has no refresh to read
            interval = url = None
        if url and interval is not None and interval <= 100 and url != response.url:
            return "meta refresh", url
    if len(response.body) < 8192:
        m = _LOCATION.search(text)
        if m:
            target = urljoin(response.url, (m.group(1) or m.group(2)).strip())
            if target != response.url and urlparse(target).scheme in ("http", "https"):
                return "script", target
    return None


# --- the run ------------------------------------------------------------------------------------------


def check_settings(sites: list[Site], base: dict, concurrency: int, timeout: float = TIMEOUT,
                   legacy_tls: bool = False) -> dict:
    """Scrapy settings for one check crawler: the project's, one request per host at a time, each host's delay
    the longest its sites ask for, a retry of a failed connection only, no redirect followed by Scrapy (the
    spider follows them itself, on the site's hosts), no document store (FetchLog) and no AutoThrottle."""
    delay = base.get("DOWNLOAD_DELAY", defaults.DOWNLOAD_DELAY)
    slots: dict[str, dict] = {}
    for site in sites:
        for url in site.start_urls:
            host = urlparse(url).hostname or ""
            own = delay if site.delay is None else site.delay
            slot = slots.setdefault(host, {"concurrency": 1, "delay": own, "jitter": 0})
            slot["delay"] = max(slot["delay"], own)
    middlewares = {**base.get("DOWNLOADER_MIDDLEWARES", defaults.DOWNLOADER_MIDDLEWARES),
                   "crawler.fetchlog.FetchLog": None, "crawler.limits.Limits": None,
                   "crawler.sites_check.NoRetryOfTimeouts": 555}
    settings = {**base, "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                "CONCURRENT_REQUESTS_PER_IP": 0, "DOWNLOAD_DELAY": delay, "DOWNLOAD_DELAY_JITTER": 0,
                "DOWNLOAD_SLOTS": slots, "DOWNLOAD_TIMEOUT": timeout, "AUTOTHROTTLE_ENABLED": False,
                "RETRY_ENABLED": True, "RETRY_TIMES": 1, "RETRY_HTTP_CODES": [], "REDIRECT_ENABLED": False,
                "METAREFRESH_ENABLED": False, "DOWNLOADER_MIDDLEWARES": middlewares, "ROBOTSTXT_OBEY": True}
    settings.pop("RANDOMIZE_DOWNLOAD_DELAY", None)
    if legacy_tls:
        settings["DOWNLOAD_TLS_MIN_VERSION"] = "TLSv1.0"
        settings["DOWNLOADER_CLIENTCONTEXTFACTORY"] = "crawler.legacy_tls.LegacyTLSContextFactory"
    return settings


def check(sites: list[Site], timeout: float = TIMEOUT, concurrency: int = CONCURRENCY,
          overrides: dict | None = None, log_file: Path | None = None) -> dict:
    """Fetch each start URL of the sites once; {"results": [Result, …] in the registry's order, "seconds",
    "stopped"}."""
    from scrapy.crawler import CrawlerProcess

    from crawler.run import process_settings

    base = {**process_settings(log_file), **(overrides or {})}
    logging.getLogger("scrapy").setLevel(logging.INFO if log_file else logging.ERROR)
    base["LOG_LEVEL"] = "INFO" if log_file else "CRITICAL"  # the terminal shows the results, the log the rest
    targets = [(site, url) for site in sites for url in site.start_urls]
    results: list[Result] = []
    process = CrawlerProcess(settings=base)
    spiders = []
    started = time.monotonic()
    with _progress(len(targets)) as advance:
        for legacy in (False, True):
            group = [site for site in sites if site.legacy_tls == legacy]
            if not group:
                continue
            spider_class = type(f"CheckSpider_{int(legacy)}", (CheckSpider,),
                                {"custom_settings": check_settings(group, base, concurrency, timeout, legacy)})
            crawler = process.create_crawler(spider_class)
            spiders.append(crawler)
            process.crawl(crawler, targets=[(s, u) for s, u in targets if s.legacy_tls == legacy], results=results,
                          timeout=timeout, progress=advance)
        process.start()
    order = {(site.name, url): i for i, (site, url) in enumerate(targets)}
    results.sort(key=lambda r: order[(r.site, r.url)])
    checked = {(r.site, r.url) for r in results}
    stopped = next((c.spider.stopped for c in spiders if c.spider is not None and c.spider.stopped), None)
    for site, url in targets:  # what a stopped check left
        if (site.name, url) not in checked:
            results.append(Result(site.name, url, site.region, "unreachable", "not checked",
                                  f"not checked: the check was stopped ({stopped or 'unknown'})"))
    return {"results": results, "seconds": round(time.monotonic() - started, 1), "stopped": stopped}


class _progress:
    """A bar on a terminal (none otherwise); the spider calls it once per start URL checked."""

    def __init__(self, total: int):
        self.total, self.bar, self.task = total, None, None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                transient=True, console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("check", total=self.total)
        return self.advance

    def advance(self) -> None:
        if self.bar:
            self.bar.advance(self.task)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


# --- output -------------------------------------------------------------------------------------------


def counts(results: list[Result]) -> dict[str, int]:
    out = {status: 0 for status in STATUSES}
    for result in results:
        out[result.status] = out.get(result.status, 0) + 1
    return out


def grouped(results: list[Result]) -> dict[str, dict[str, list[Result]]]:
    """status → reason → its results (the statuses in their order, reasons in the order first met)."""
    out: dict[str, dict[str, list[Result]]] = {status: {} for status in STATUSES}
    for result in results:
        out.setdefault(result.status, {}).setdefault(result.reason or result.status, []).append(result)
    return {status: reasons for status, reasons in out.items() if reasons}


def report(results: list[Result], seconds: float, sites: int) -> str:
    """The text a person reads: a line per status with its count, then the sites by status and reason."""
    lines = [f"checked {len(results)} start URL{'s' if len(results) != 1 else ''} of {sites} "
             f"site{'s' if sites != 1 else ''} in {seconds:g} s"]
    tally = counts(results)
    empty = sum(1 for r in results if r.status == "reachable" and not r.report_links)
    for status in STATUSES:
        if tally[status] or status != "forbidden":
            note = f"  ({empty} with no report link on the page)" if status == "reachable" and empty else ""
            lines.append(f"{status:<12}{tally[status]:>5}{note}")
    width = min(max((len(r.site) for r in results), default=0), 32)
    several = len(results) != sites
    for status, reasons in grouped(results).items():
        for said, members in reasons.items():
            title = said if said.startswith(status) else f"{status}: {said}"
            lines.append("")
            lines.append(f"{title} ({len(members)})")
            for r in members:
                where = f" [{r.url}]" if several else ""
                lines.append(f"  {r.site:<{width}}  {r.detail}{where}")
    if len(results) > 1 and all(r.reason == "DNS: no such host" for r in results):
        lines += ["", NO_DNS]
    return "\n".join(lines)


NO_DNS = ("no host name resolved at all: if this machine has no network (or no DNS), the columns are not gone; "
          "check again where the network allows")


def as_json(results: list[Result], seconds: float, stopped: str | None) -> dict:
    out = {"checked": len(results), "seconds": seconds, "stopped": stopped, "counts": counts(results),
           "sites": [asdict(r) for r in results]}
    if len(results) > 1 and all(r.reason == "DNS: no such host" for r in results):
        out["note"] = NO_DNS
    return out


CSV_COLUMNS = ("site", "region", "url", "status", "reason", "detail", "http_status", "final_url", "dialect",
               "report_links")


def write_csv(results: list[Result], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as out:  # the BOM lets Excel read the Chinese
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            row = asdict(r)
            writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])


# --- the command --------------------------------------------------------------------------------------


def select(sites: list[Site], only: list[str] | None, provinces: list[str] | None) -> list[Site]:
    """The sites named by --only and in the --province(s); a name or province that matches nothing is an error."""
    from crawler.sites import RegistryError

    if only:
        missing = sorted(set(only) - {s.name for s in sites})
        if missing:
            raise RegistryError(f"no site named {', '.join(missing)} in the registry")
        sites = [s for s in sites if s.name in only]
    if provinces:
        wanted = [p.strip() for p in provinces]
        sites = [s for s in sites if any((s.region or "").startswith(p) for p in wanted)]
        if not sites:
            raise RegistryError(f"no site in {', '.join(wanted)} (a site's region starts with its province: 浙江)")
    return sites


def main(args) -> int:
    """`nianbao sites check`: 0 when every start URL is reachable, 1 when one is not, 2 for a bad registry or
    option, 130 when stopped."""
    from crawler.sites import DEFAULT_SITES, RegistryError, load_sites
    from nianbao.config import scrapy_settings
    from nianbao.logs import log_file

    def usage(message: str) -> int:
        print(f"nianbao: {message}", file=sys.stderr)
        return 2

    try:
        sites = select(load_sites(args.sites or DEFAULT_SITES), args.only, args.province)
    except RegistryError as e:
        return usage(str(e))
    if args.check_timeout is not None and not args.check_timeout > 0:
        return usage(f"--timeout must be a positive number of seconds, not {args.check_timeout:g}")
    if args.check_concurrency is not None and args.check_concurrency < 1:
        return usage(f"--concurrency must be 1 or more, not {args.check_concurrency}")
    if args.out and not Path(args.out).resolve().parent.is_dir():
        return usage(f"--out {args.out}: no such folder {Path(args.out).resolve().parent}")
    overrides = scrapy_settings(args.config)
    overrides.pop("CONCURRENT_REQUESTS_PER_DOMAIN", None)  # one request per host, whatever the crawl's setting
    overrides.pop("DOWNLOAD_TIMEOUT", None)  # the check's own --timeout
    done = check(sites, args.check_timeout or TIMEOUT, args.check_concurrency or CONCURRENCY, overrides,
                 log_file(args.data))
    results = done["results"]
    if args.out:
        write_csv(results, Path(args.out))
    if args.json:
        json.dump(as_json(results, done["seconds"], done["stopped"]), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(report(results, done["seconds"], len(sites)))
        print(f"details in {log_file(args.data)}" + (f"; table in {args.out}" if args.out else ""))
    if done["stopped"]:
        return 130
    return 0 if all(r.status == "reachable" for r in results) else 1
