"""The `nianbao` command."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nianbao.logs import say


def _extract(args) -> int:
    from extract.report import ExtractError, extract_report
    from extract.summary import print_summary

    try:
        report = extract_report(args.location, with_text=not args.no_text)
    except ExtractError as e:
        print(f"nianbao: {args.location}: {e}", file=sys.stderr)
        return 1
    if not report["is_annual_report"]:  # still shown: a reader may want what it holds
        print(f"nianbao: {args.location}: does not look like a 政府信息公开工作年度报告 (neither its title nor its "
              "section headings say so); what could be read is shown anyway", file=sys.stderr)
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print_summary(report)
    return 0


def _crawl(args) -> int:
    from urllib.parse import urlparse

    from crawler.run import crawl
    from crawler.sites import DEFAULT_SITES, RegistryError, Site, load_sites
    from nianbao.config import scrapy_settings
    from nianbao.logs import log_file

    if args.redis and not args.enqueue:
        if args.sites or args.site or args.start_url:
            print("nianbao: a crawler on --redis takes its sites from the enqueued crawl; choose them with"
                  " `nianbao crawl --redis URL --enqueue --sites FILE`", file=sys.stderr)
            return 2
        return _crawl_shared(args)
    if args.enqueue and not args.redis:
        print("nianbao: --enqueue needs --redis URL (the Redis the crawlers share)", file=sys.stderr)
        return 2
    try:
        if args.start_url:
            host = urlparse(args.start_url).hostname or "site"
            sites = [Site(name=host, agency="", start_urls=[args.start_url])]
        else:
            sites = load_sites(args.sites or DEFAULT_SITES)
            if args.site:
                sites = [s for s in sites if s.name in args.site]
                missing = set(args.site) - {s.name for s in sites}
                if missing:
                    raise RegistryError(f"no site named {', '.join(sorted(missing))} in the registry")
    except RegistryError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    if args.redis:
        return _enqueue(args.redis, sites)
    from crawler.run import CrawlError

    log = log_file(args.data)
    try:
        summary = crawl(sites, args.data, polite=not args.no_delay, log_file=log,
                        overrides=scrapy_settings(args.config))
    except CrawlError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 3
    print_crawl_summary(summary)
    print(f"details in {log}")
    return crawl_exit_status(summary)


def _enqueue(url: str, sites) -> int:
    from redis.exceptions import RedisError

    from crawler.frontier import FrontierBusy, publish
    from crawler.spider import ReportSpider

    try:
        crawl_id = publish(url, sites, [ReportSpider.name_for(site) for site in sites])
    except (FrontierBusy, RedisError) as e:
        print(f"nianbao: {' '.join(str(e).split())}", file=sys.stderr)
        return 3
    print(f"crawl {crawl_id}: {sum(len(s.start_urls) for s in sites)} start URLs of {len(sites)} sites on {url};"
          f" start crawlers with `nianbao crawl --redis {url} --data DATA`")
    return 0


def _crawl_shared(args) -> int:
    """A crawler taking its share of the crawl enqueued on Redis (crawler/frontier.py)."""
    from redis.exceptions import RedisError

    from crawler.run import CrawlError, crawl
    from nianbao.config import scrapy_settings
    from nianbao.logs import log_file

    log = log_file(args.data)
    try:
        summary = crawl([], args.data, polite=not args.no_delay, log_file=log,
                        overrides=scrapy_settings(args.config), frontier=args.redis)
    except (CrawlError, RedisError) as e:
        print(f"nianbao: {' '.join(str(e).split())}", file=sys.stderr)
        return 3
    print_crawl_summary(summary)
    print(f"this crawler's part: {summary['part']} (the build merges every part); details in {log}")
    return crawl_exit_status(summary)


def crawl_exit_status(summary: dict) -> int:
    """0 when a site was crawled (ok or partial), 1 when none was, 128 + N when stopped by signal N."""
    import signal as signals

    stopped = summary.get("stopped") or ""
    for name in ("SIGTERM", "SIGINT"):
        if name in stopped:
            return 128 + getattr(signals, name)
    return 0 if any(site["status"] in ("ok", "partial") for site in summary["sites"]) else 1


def print_crawl_summary(summary: dict) -> None:
    """The run's table, a row per site, as `crawl_run_sites` keeps it."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"crawl run {summary['run']}", title_justify="left")
    columns = ("site", "status", "dialect", "responses", "found", "new", "changed", "failed", "404", "skipped")
    for name in columns:
        table.add_column(name, justify="left" if name in ("site", "status", "dialect") else "right")
    for site in summary["sites"]:
        style = {"ok": None, "blocked": "bold red"}.get(site["status"], "yellow")
        table.add_row(site["site"], site["status"], site["dialect"] or "?", *(str(site[k]) for k in
                      ("pages", "found", "new", "changed", "failed", "missing", "skipped")), style=style)
    console = Console()
    if not console.is_terminal:
        console = Console(width=100)
    console.print(table)
    print(f"{summary['pages']} responses, {summary['new_reports']} new reports, {summary['changed_reports']} changed, "
          f"{summary['errors']} errors; WARC {summary['warc']}")
    from crawler.reasons import grouped

    advice = {"blocked": "nothing behind the wall was kept; see README, 'When a site is blocked'"}
    for said, sites in grouped(summary["sites"]).items():
        shown = ", ".join(sites[:8]) + (f" and {len(sites) - 8} more" if len(sites) > 8 else "")
        hint = advice["blocked"] if said.startswith("blocked") else ""
        print(f"{said}: {shown}" + (f" ({hint})" if hint else ""))
    for site in summary["sites"]:
        if site["status"] == "partial" and site.get("detail"):
            print(f"{site['site']} partial: {site['detail']}")


def _build(args) -> int:
    from archive.build import BuildError
    from nianbao.pipeline import build, describe

    try:
        summary = build(args.data, args.workers, queue=args.queue)
    except BuildError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    except TimeoutError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 3
    print(describe(summary))
    return 0


def _worker(args) -> int:
    from archive.queue import run_worker

    run_worker(args.queue, Path(args.data), args.concurrency)
    return 0


def _export(args) -> int:
    from archive.export import ExportError, export

    try:
        paths = export(args.data, args.format, args.out)
    except ExportError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


def _serve(args) -> int:
    from archive.serve import ServeError, serve

    try:
        serve(args.data, args.host, args.port)
    except ServeError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    return 0


def _run(args) -> int:
    from archive.serve import ServeError, check_port, serve
    from nianbao import pipeline

    data = Path(args.data)
    portal = None
    if args.sites and not Path(args.sites).is_file():
        print(f"nianbao: no such sites file: {args.sites}", file=sys.stderr)
        return 2
    try:
        check_port(args.host, args.port)  # before the crawl, not after it
    except ServeError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    if args.sites:
        sites = Path(args.sites)
    else:
        say("no --sites given: preparing the embedded demo portal (its documents are made on first use)…")
        portal, sites = pipeline.start_demo(data)
        say(f"crawling the embedded demo portal at {portal.base_url}")
    try:
        pipeline.crawl_and_build(sites, data, workers=args.workers)
    except pipeline.Busy as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    say(f"open http://{args.host}:{args.port}/ to browse the archive (Ctrl-C to stop)")
    try:
        serve(data, args.host, args.port)
    except ServeError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    finally:
        if portal:
            portal.stop()
    return 0


def _schedule(args) -> int:
    from crawler.sites import DEFAULT_SITES
    from nianbao import schedule

    if not args.cron:
        print("nianbao: no schedule: give --cron \"0 6 * 1-4 *\", or set cron in DATA/nianbao.toml or NIANBAO_CRON",
              file=sys.stderr)
        return 2
    try:
        return schedule.run(args.cron, Path(args.sites or DEFAULT_SITES), Path(args.data), args.runs, args.workers)
    except schedule.ScheduleError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2


def _config(args) -> int:
    from nianbao.config import FILE, as_toml, load

    print(f"# settings in force for the data directory {args.data} (its settings file: {Path(args.data) / FILE})")
    print(as_toml(load(Path(args.data))))
    return 0


def _demo_portal(args) -> int:
    from demo.portal import DemoPortal

    portal = DemoPortal(args.host, args.port)
    portal.start()
    if args.sites_out:
        portal.write_sites(args.sites_out)
        print(f"sites registry for the demo portal: {args.sites_out}")
    print(f"demo portal on {portal.base_url} (Ctrl-C to stop)")
    try:
        portal.thread.join()
    except KeyboardInterrupt:
        portal.stop()
    return 0


def _sites_check(args) -> int:
    from crawler.sites_check import main as check

    return check(args)


DATA_HELP = "data directory (default: $NIANBAO_DATA, else ./data)"
EXAMPLES = {
    "extract": "examples:\n  nianbao extract report.pdf\n  nianbao extract --json https://www.example.gov.cn/2024年报.html",
    "crawl": "examples:\n  nianbao crawl --sites my-sites.yaml --data data\n"
             "  nianbao crawl --site hangzhou-wsjkw   (one site of the shipped registry, sites.yaml)\n"
             "  nianbao crawl --redis redis://10.0.0.5:6379/0 --enqueue --sites my-sites.yaml   (then, on each"
             " machine:)\n  nianbao crawl --redis redis://10.0.0.5:6379/0 --data /shared/data\n"
             "the log of every request goes to DATA/logs/nianbao.log\n"
             "exit status: 0 a site was crawled, 1 no site could be crawled (each reason printed once, with its\n"
             "sites), 2 a bad registry or option, 3 the crawl could not go on (it resumes next time),\n"
             "130/143 stopped by SIGINT/SIGTERM (what was fetched is kept)",
    "build": "examples:\n  nianbao build --data data\n"
             "  nianbao build --data /shared/data --queue redis://10.0.0.5:6379/0   (with `nianbao worker`s running)",
    "worker": "example:\n  nianbao worker --queue redis://10.0.0.5:6379/0 --data /shared/data --concurrency 2\n"
              "the data folder is the one the build uses, mounted on this machine",
    "export": "example:\n  nianbao export --format parquet --data data   (files in data/export/)",
    "serve": "example:\n  nianbao serve --data data --port 8001, then open http://127.0.0.1:8001/",
    "run": "examples:\n  nianbao run   (the embedded demo portal; then open http://127.0.0.1:8001/)\n"
           "  nianbao run --sites my-sites.yaml --data data",
    "schedule": 'example:\n  nianbao schedule --cron "0 6 * 1-4 *" --sites my-sites.yaml\n'
                "  (6:00 every day, January to April); six fields put seconds first",
    "config": "example:\n  NIANBAO_DELAY=3 nianbao config --data data\n"
              "settings: DATA/nianbao.toml, then NIANBAO_<NAME> variables, then the command line",
    "demo-portal": "example:\n  nianbao demo-portal --port 8765 --sites-out demo-sites.yaml",
    "sites": "examples:\n  nianbao sites check --province 浙江   (each start URL fetched once, politely)\n"
             "  nianbao sites check --sites my-sites.yaml --only hangzhou-wsjkw --json\n"
             "each start URL is reachable, moved (to where), gone (404, 410, no such host), blocked (anti-bot wall,\n"
             "403), forbidden (robots.txt) or unreachable (refused, timed out, TLS, another HTTP status); no link\n"
             "is followed and nothing is stored. exit status: 0 all reachable, 1 one or more not, 2 a bad registry\n"
             "or option, 130 stopped",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nianbao", description="Crawler and archive of 政府信息公开工作年度报告",
                                     epilog="`nianbao COMMAND --help` shows a command's options and an example")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, help, run, data=True):
        p = commands.add_parser(name, help=help, description=help, epilog=EXAMPLES[name],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        if data:
            p.add_argument("--data", help=DATA_HELP)
        p.set_defaults(run=run)
        return p

    p = command("extract", "read one report (file or URL) into text and checked tables", _extract, data=False)
    p.add_argument("location", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="print the JSON object of the contract")
    p.add_argument("--no-text", action="store_true", help="leave out the report's full text")
    p = command("crawl", "fetch every annual report and attachment of the registry's sites", _crawl)
    p.add_argument("--sites", help="site registry (YAML); default: the shipped sites.yaml")
    p.add_argument("--site", action="append", help="crawl only this site (repeatable)")
    p.add_argument("--start-url", help="crawl one column URL not in the registry")
    p.add_argument("--no-delay", action="store_true", help="politeness off: only for portals you run yourself")
    p.add_argument("--redis", metavar="REDIS_URL", help="share one crawl among crawlers on any machines through this"
                                                          " Redis (redis://HOST:PORT/N): take requests from it")
    p.add_argument("--enqueue", action="store_true", help="with --redis: start a shared crawl of the registry's "
                                                          "sites (once), then run crawlers with --redis alone")
    p = command("build", "extract what the crawls kept and write the archive (DATA/archive.db)", _build)
    p.add_argument("--workers", type=int, help="extraction processes (default: one per core)")
    p.add_argument("--queue", metavar="REDIS_URL", help="extract through `nianbao worker`s sharing this Redis "
                                                         "(redis://HOST:PORT/N) instead of local processes")
    p = command("worker", "extract documents sent by `nianbao build --queue` (a Celery worker on Redis)", _worker)
    p.add_argument("--queue", metavar="REDIS_URL", required=True, help="the Redis the builds send to")
    p.add_argument("--concurrency", type=int, help="documents read at once (default: one per core)")
    p = command("export", "write the archive's tables as CSV or Parquet files", _export)
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--out", help="output folder (default DATA/export)")
    p = command("serve", "publish the archive with Datasette (read-only)", _serve)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8001)")
    p = command("run", "crawl, build and serve in one command (the demo portal without --sites)", _run)
    p.add_argument("--sites", help="site registry (YAML); default: the embedded demo portal, no network needed")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8001)")
    p.add_argument("--workers", type=int, help="extraction processes (default: one per core)")
    p = command("schedule", "crawl and build on a cron schedule, in the foreground", _schedule)
    p.add_argument("--cron", help='cron expression: "m h dom mon dow", or "s m h dom mon dow"')
    p.add_argument("--sites", help="site registry (YAML); default: the shipped sites.yaml")
    p.add_argument("--runs", type=int, help="stop after this many runs (default: run until stopped)")
    p.add_argument("--workers", type=int, help="extraction processes (default: one per core)")
    p = command("config", "show the settings in force and where each comes from", _config)
    p = command("demo-portal", "serve the offline demo portal on 127.0.0.1", _demo_portal, data=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--sites-out", help="write a sites registry for the portal to this file")
    p = command("sites", "look after the site registry: `nianbao sites check`", None, data=False)
    check = p.add_subparsers(dest="sites_command", required=True, metavar="check").add_parser(
        "check", help="fetch each start URL once and say which columns are reachable, moved, gone or blocked",
        description="fetch each start URL of the registry once, politely, and say which columns are reachable, "
                    "moved, gone or blocked", epilog=EXAMPLES["sites"],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    check.set_defaults(run=_sites_check)
    check.add_argument("--data", help=DATA_HELP + "; only its settings and log are used")
    check.add_argument("--sites", help="site registry (YAML); default: the shipped sites.yaml")
    check.add_argument("--only", action="append", metavar="NAME", help="check only this site (repeatable)")
    check.add_argument("--province", action="append", help="check only the sites whose region starts with it "
                                                            "(浙江, 浙江省; repeatable)")
    check.add_argument("--concurrency", dest="check_concurrency", type=int, metavar="N",
                       help="requests in flight in all, one per host (default 8)")
    check.add_argument("--timeout", dest="check_timeout", type=float, metavar="SECONDS",
                       help="seconds per start URL, its redirects included (default 20; a site's own timeout wins)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.add_argument("--out", metavar="FILE.csv", help="also write the results to this CSV file")
    args = parser.parse_args(argv)
    try:
        if hasattr(args, "data"):
            from nianbao import config, logs

            args.config = config.resolve(args)
            logs.to_file(Path(args.data))
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the output was piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except MemoryError:
        print("nianbao: out of memory reading the document", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - a user sees one line, never a traceback
        from nianbao.config import ConfigError

        if isinstance(e, ConfigError):
            print(f"nianbao: {e}", file=sys.stderr)
            return 2
        print(f"nianbao: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
