"""The architecture holds: layers point one way, nothing imports in a circle, imports stand at the top.

The layers and the cycle rule are import-linter contracts in pyproject.toml ([tool.importlinter]);
imports inside functions (the usual way to hide a cycle) are ruff's PLC0415.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["api", "engine", "forms", "bpmn"]


def test_layers_point_down_and_nothing_imports_in_a_circle(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0, \
        "an import breaks the architecture: see the contract report above"


def test_no_import_is_hidden_inside_a_function():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "PLC0415",
                             "--output-format", "concise", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_engine_package_says_what_it_owns():
    for init in sorted((ROOT / "engine").glob("*/__init__.py")):
        text = init.read_text()
        assert text.startswith('"""') and len(text.split('"""')[1].strip()) > 40, f"{init} has no docstring"
