"""Configuration in one place: `DATA/nianbao.toml`, environment variables `NIANBAO_*`, the command line.

The command line wins over the environment, the environment over the settings file, the file over the
built-in defaults. A relative `sites` path in the file is relative to the data directory. The data directory itself comes from `--data`, else `NIANBAO_DATA`, else `./data` (the
settings file lives inside it). A sites registry's own per-site `delay`, `concurrency` and `timeout` win
over these crawl defaults. `nianbao config` shows what is in force and where each value came from.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from crawler import settings as scrapy_defaults

FILE = "nianbao.toml"
# name: (type, default, what it is)
KEYS: dict[str, tuple[type, object, str]] = {
    "sites": (str, None, "sites registry (YAML) for crawl, run and schedule"),
    "host": (str, "127.0.0.1", "address the site is served on"),
    "port": (int, 8001, "port the site is served on"),
    "workers": (int, None, "extraction processes in a build (default: one per core)"),
    "cron": (str, None, "cron expression for `nianbao schedule`"),
    "delay": (float, scrapy_defaults.DOWNLOAD_DELAY, "seconds between two requests to one portal"),
    "concurrency": (int, scrapy_defaults.CONCURRENT_REQUESTS_PER_DOMAIN, "requests in flight per portal"),
    "timeout": (int, scrapy_defaults.DOWNLOAD_TIMEOUT, "seconds before a download is given up"),
    "user_agent": (str, scrapy_defaults.USER_AGENT, "User-Agent header sent to portals"),
}


class ConfigError(Exception):
    """A setting that cannot be used; the message names it and where it came from."""


def data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("NIANBAO_DATA") or "data")


def load(data: Path, environ: dict | None = None) -> dict[str, tuple[object, str]]:
    """Every key's value and its source ('default', the file's path, or the variable's name)."""
    environ = os.environ if environ is None else environ
    values = {name: (default, "default") for name, (_, default, _) in KEYS.items()}
    path = data / FILE
    if path.is_file():
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path} is not valid TOML: {e}") from None
        unknown = sorted(set(found) - set(KEYS))
        if unknown:
            raise ConfigError(f"{path}: unknown setting {', '.join(unknown)}; known: {', '.join(KEYS)}")
        for name, value in found.items():
            values[name] = (_typed(name, value, str(path)), str(path))
        if "sites" in found:  # a path in the file is relative to the file
            values["sites"] = (str(data / Path(values["sites"][0]).expanduser()), str(path))
    for name in KEYS:
        variable = f"NIANBAO_{name.upper()}"
        if environ.get(variable):
            values[name] = (_typed(name, environ[variable], variable), variable)
    return values


def _typed(name: str, value, source: str):
    kind = KEYS[name][0]
    try:
        if kind is int and isinstance(value, float):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} must be {kind.__name__}, not {value!r}") from None


def resolve(args) -> dict:
    """Fill the arguments the command line left out (None) from the environment, the file and the defaults;
    returns the settings in force."""
    args.data = str(data_dir(getattr(args, "data", None)))
    values = {name: value for name, (value, _) in load(Path(args.data)).items()}
    for name, value in values.items():
        if getattr(args, name, "absent") is None:
            setattr(args, name, value)
    return values


def as_toml(values: dict[str, tuple[object, str]]) -> str:
    """The settings in force as a settings file, each with where it came from."""
    lines = []
    for name, (value, source) in values.items():
        what = KEYS[name][2]
        if value is None:
            lines.append(f"# {name} = (not set)  # {what}")
        else:
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value
            lines.append(f"{name} = {shown}  # {what}; from {source}")
    return "\n".join(lines)


def scrapy_settings(values: dict) -> dict:
    """The crawl defaults as Scrapy settings."""
    return {"DOWNLOAD_DELAY": values["delay"], "CONCURRENT_REQUESTS_PER_DOMAIN": values["concurrency"],
            "DOWNLOAD_TIMEOUT": values["timeout"], "USER_AGENT": values["user_agent"]}
