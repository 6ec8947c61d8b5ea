"""Issue 13 §1: the repository alone installs, runs and tests. A copy of HEAD (`git archive`) in a folder with
nothing beside it crawls the demo portal and builds the archive, importing only its own code."""
import os
import subprocess
import sys
import tarfile

import pytest

from tests.conftest import ROOT

RUN_DEMO = """
import subprocess, sys, pathlib
import demo, crawler, extract, archive
here = pathlib.Path.cwd().resolve()
for module in (demo, crawler, extract, archive):
    assert pathlib.Path(module.__file__).resolve().is_relative_to(here), module.__file__
from demo.portal import DemoPortal
portal = DemoPortal(work_dir=here / "portal").start()
try:
    sites = portal.write_sites(here / "sites.yaml")
    for args in (["crawl", "--sites", str(sites)], ["build"]):
        done = subprocess.run([sys.executable, "-m", "nianbao.cli", *args, "--data", str(here / "data")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
finally:
    portal.stop()
"""


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    alone = tmp_path_factory.mktemp("alone") / "nianbao"
    alone.mkdir()
    archive = alone.parent / "head.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), "HEAD"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(alone, filter="data")
    archive.unlink()
    return alone


def test_nothing_reaches_outside_the_repository():
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.py", "Makefile", "*.toml", "*.cfg", ".ci/*"],
                           capture_output=True, text=True, check=True).stdout.split()
    offenders = [f for f in files if any(s in (ROOT / f).read_text(encoding="utf-8")
                                         for s in ("../shared", "NIANBAO_SHARED", 'parent / "shared"'))
                 and f != "tests/test_standalone.py"]
    assert offenders == []


def test_a_copy_of_head_alone_crawls_the_demo_and_builds(clean_copy):
    assert sorted(p.name for p in clean_copy.parent.iterdir()) == ["nianbao"]  # nothing beside it
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    env["PYTHONPATH"] = str(clean_copy)
    done = subprocess.run([sys.executable, "-c", RUN_DEMO], cwd=clean_copy, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    import sqlite3

    db = sqlite3.connect(clean_copy / "data" / "archive.db")
    try:
        reports = db.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        db.close()
    assert reports >= 15
