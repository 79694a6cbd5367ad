"""The architecture holds: layers point one way, nothing imports in a circle, imports stand at the top.

The layers and the cycle rule are import-linter contracts in pyproject.toml ([tool.importlinter]);
imports inside functions (the usual way to hide a cycle) are ruff's PLC0415.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["api", "engine", "forms", "bpmn"]


def _run(*command: str) -> subprocess.CompletedProcess:
    # A process of its own: the linters configure logging and import every module, which must not
    # leak into the tests that run after these.
    return subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True)


def test_layers_point_down_and_nothing_imports_in_a_circle():
    # importlinter has no __main__: `python -m importlinter.cli` exits 0 having checked nothing, so run the
    # package's own console command from this interpreter and require its summary.
    lint = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = _run("-c", lint, "--config", "pyproject.toml", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout + result.stderr


def test_no_import_is_hidden_inside_a_function():
    result = _run("-m", "ruff", "check", "--no-cache", "--select", "PLC0415", "--output-format", "concise", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_engine_package_says_what_it_owns():
    for init in sorted((ROOT / "engine").glob("*/__init__.py")):
        text = init.read_text()
        assert text.startswith('"""') and len(text.split('"""')[1].strip()) > 40, f"{init} has no docstring"
