"""The `nianbao` command."""
from __future__ import annotations

import argparse
import json
import sys


def _extract(args) -> int:
    from extract.report import ExtractError, extract_report
    from extract.summary import print_summary

    try:
        report = extract_report(args.location, with_text=not args.no_text)
    except ExtractError as e:
        print(f"nianbao: {args.location}: {e}", file=sys.stderr)
        return 1
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
    summary = crawl(sites, args.data, polite=not args.no_delay)
    for site in summary["sites"]:
        detail = f" ({site['detail']})" if site["detail"] else ""
        print(f"{site['site']}: {site['status']}{detail}, dialect {site['dialect']}, {site['pages']} responses, "
              f"{site['reports']} reports, {site['skipped']} items skipped")
    print(f"run {summary['run']}: {summary['pages']} responses, {summary['new_reports']} new reports, "
          f"{summary['changed_reports']} changed, {summary['errors']} errors; WARC {summary['warc']}")
    return 0


def _build(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from archive.build import BuildError, build

    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task("extract", total=None)
        try:
            summary = build(args.data, workers=args.workers,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
        except BuildError as e:
            print(f"nianbao: {e}", file=sys.stderr)
            return 2
    if summary["unchanged"]:
        print(f"{summary['archive']} is up to date: nothing new since the last build")
        return 0
    print(f"{summary['archive']}: {summary['reports']} reports ({summary['versions']} versions), "
          f"{summary['extracted']} documents extracted, {summary['unreadable']} unreadable, "
          f"{summary['failed_checks']} failed checks in the latest versions")
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
    from pathlib import Path

    from archive.serve import ServeError, serve
    from nianbao import pipeline

    data = Path(args.data)
    portal = None
    if args.sites:
        sites = Path(args.sites)
        if not sites.is_file():
            print(f"nianbao: no such sites file: {sites}", file=sys.stderr)
            return 2
    else:
        portal, sites = pipeline.start_demo(data)
        print(f"no --sites given: crawling the embedded demo portal at {portal.base_url}")
    try:
        pipeline.crawl_and_build(sites, data)
    except pipeline.Busy as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2
    print(f"open http://{args.host}:{args.port}/ to browse the archive (Ctrl-C to stop)", flush=True)
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
    from pathlib import Path

    from nianbao import schedule

    try:
        return schedule.run(args.cron, Path(args.sites), Path(args.data), args.runs)
    except schedule.ScheduleError as e:
        print(f"nianbao: {e}", file=sys.stderr)
        return 2


def _demo_portal(args) -> int:
    from crawler.demo_portal import DemoPortal

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nianbao", description="Crawler and archive of 政府信息公开工作年度报告")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("extract", help="read one report (file or URL) into text and checked tables")
    p.add_argument("location", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="print the JSON object of the contract")
    p.add_argument("--no-text", action="store_true", help="leave out the report's full text")
    p.set_defaults(run=_extract)
    p = commands.add_parser("crawl", help="fetch every annual report and attachment of the registry's sites")
    p.add_argument("--sites", help="site registry (YAML); default: the shipped sites.yaml")
    p.add_argument("--site", action="append", help="crawl only this site (repeatable)")
    p.add_argument("--start-url", help="crawl one column URL not in the registry")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--no-delay", action="store_true", help="politeness off: only for portals you run yourself")
    p.set_defaults(run=_crawl)
    p = commands.add_parser("build", help="extract what the crawls kept and write the archive (archive.db)",
                            epilog="example: nianbao build --data data")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--workers", type=int, help="extraction processes (default: one per core)")
    p.set_defaults(run=_build)
    p = commands.add_parser("export", help="write the archive's tables as CSV or Parquet files",
                            epilog="example: nianbao export --format parquet --data data (files in data/export/)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--out", help="output folder (default DATA/export)")
    p.set_defaults(run=_export)
    p = commands.add_parser("serve", help="publish the archive with Datasette (read-only)",
                            epilog="example: nianbao serve --data data --port 8001, then open http://127.0.0.1:8001/")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(run=_serve)
    p = commands.add_parser("run", help="crawl, build and serve in one command (the demo portal without --sites)",
                            epilog="example: nianbao run   (then open http://127.0.0.1:8001/)")
    p.add_argument("--sites", help="site registry (YAML); default: the embedded demo portal, no network needed")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(run=_run)
    p = commands.add_parser("schedule", help="crawl and build on a cron schedule, in the foreground",
                            epilog='example: nianbao schedule --cron "0 6 * 1-4 *" --sites sites.yaml  '
                                   "(6:00 every day, January to April); six fields start with seconds")
    p.add_argument("--cron", required=True, help='cron expression: "m h dom mon dow", or "s m h dom mon dow"')
    p.add_argument("--sites", default="sites.yaml", help="site registry (YAML), default sites.yaml")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--runs", type=int, help="stop after this many runs (default: run until stopped)")
    p.set_defaults(run=_schedule)
    p = commands.add_parser("demo-portal", help="serve the offline demo portal on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--sites-out", help="write a sites registry for the portal to this file")
    p.set_defaults(run=_demo_portal)
    args = parser.parse_args(argv)
    try:
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
        print(f"nianbao: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
