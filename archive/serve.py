"""`nianbao serve`: the archive published by Datasette, read-only, with the site plugin and metadata."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from archive.build import ARCHIVE
from archive.site.metadata import metadata

TEMPLATES = Path(__file__).resolve().parent / "site" / "templates"
SETTINGS = {
    "suggest_facets": "off",        # suggestions run a query per column on every page: too slow on a big archive
    "sql_time_limit_ms": "3000",
    "facet_time_limit_ms": "500",
    "default_page_size": "50",
    "truncate_cells_html": "300",
    "allow_download": "on",
    "default_cache_ttl": "60",
}


class ServeError(Exception):
    pass


def datasette_args(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    data = Path(data_dir).resolve()
    archive = data / ARCHIVE
    if not archive.exists():
        raise ServeError(f"no archive in {data}: run `nianbao build --data {data_dir}` first")
    meta = data / "site-metadata.json"
    meta.write_text(json.dumps(metadata(str(data)), ensure_ascii=False, indent=1), encoding="utf-8")
    args = ["serve", "-i", str(archive), "--metadata", str(meta), "--template-dir", str(TEMPLATES),
            "--host", host, "--port", str(port)]
    inspect = _inspect_file(archive, data / "site-inspect.json")
    if inspect:
        args += ["--inspect-file", str(inspect)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def _inspect_file(archive: Path, path: Path) -> Path | None:
    """Datasette's inspect data from the counts the build recorded, so the site starts without counting
    every table of a large archive."""
    db = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        found = dict(db.execute("SELECT key, value FROM _build WHERE key IN ('fingerprint', 'table_counts')"))
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()
    if "table_counts" not in found:
        return None
    tables = {name: {"count": count} for name, count in json.loads(found["table_counts"]).items()}
    path.write_text(json.dumps({archive.stem: {"hash": found.get("fingerprint", ""), "size": archive.stat().st_size,
                                                "file": archive.name, "tables": tables}}), encoding="utf-8")
    return path


def serve(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    from datasette.cli import cli

    cli.main(datasette_args(data_dir, host, port), prog_name="datasette", standalone_mode=True)
