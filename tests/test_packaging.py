"""The wheel carries what the installed program reads at run time besides Python modules: the
workbench's templates and stylesheet, Swagger UI's files and the typing marker.  Without them an
installed `admission serve` would answer /review with a 500."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "admission"


def test_the_wheel_holds_every_file_the_pages_and_the_docs_read(tmp_path):
    tree = tmp_path / "tree"  # a copy, so no earlier build/ folder can lend the wheel its files
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(tree)], check=True)
    [wheel] = tmp_path.glob("admission-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [p for folder in ("api/web/templates", "api/web/static", "api/static/swagger")
              for p in (SRC / folder).iterdir() if p.is_file()]
    assert needed and len(needed) > 15
    missing = sorted(str(p.relative_to(SRC.parent)) for p in needed if str(p.relative_to(SRC.parent)) not in names)
    assert missing == []
    assert "admission/py.typed" in names
