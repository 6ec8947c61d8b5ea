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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nianbao", description="Crawler and archive of 政府信息公开工作年度报告")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("extract", help="read one report (file or URL) into text and checked tables")
    p.add_argument("location", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="print the JSON object of the contract")
    p.add_argument("--no-text", action="store_true", help="leave out the report's full text")
    p.set_defaults(run=_extract)
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
