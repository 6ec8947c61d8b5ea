"""Logs go to `DATA/logs/nianbao.log`; the terminal shows progress, summaries and what to do.

Scrapy's own log (every request, retry and warning) goes to the same file from the crawl
(crawler/run.py's `LOG_FILE`); the other commands log what they print, with a time, through `say`.
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("nianbao")


def log_file(data: Path) -> Path:
    return Path(data) / "logs" / "nianbao.log"


def to_file(data: Path) -> Path:
    path = log_file(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in log.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return path


def say(line: str) -> None:
    """A line for the person at the terminal, kept in the log file too."""
    print(line, flush=True)
    log.info(line)
