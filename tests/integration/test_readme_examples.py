"""The README's Python examples work as a user runs them: each saved as a file outside the
repository and run on a fresh local system, as `make run` starts it, in the order the README gives
them, with only the variables of the env file `make run` writes (`set -a; . .localdata/demo.env`)
and nothing of the repository importable."""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, LocalSystem, launch, stop

pytestmark = pytest.mark.integration

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
ALLOWED = set(sys.stdlib_module_names) | {"stripe"}  # what a user's Python has: the stdlib and `pip install stripe`


@pytest.fixture(scope="module")
def fresh_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """Not the session's shared system: other tests change its demo accounts (their connectors)."""
    proc, system = launch(tmp_path_factory.mktemp("readme"))
    yield system
    stop(proc)


def demo_env(system: LocalSystem) -> dict[str, str]:
    """The NAME=value lines of the env file `make run` wrote, as a shell's `set -a; . file` reads them."""
    lines = (system.state_dir / "demo.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_demo_env_file_holds_the_banners_url_keys_and_ids(fresh_system: LocalSystem) -> None:
    env = demo_env(fresh_system)
    assert env.pop("ORGSHARE_URL") == fresh_system.url
    expected: dict[str, str] = {}
    for account in fresh_system.accounts.values():
        name = account.name.split()[-1].upper()  # "Rocket Rides": RIDES
        expected |= {f"{name}_KEY": account.key, f"{name}_ACCOUNT": account.id}
    assert env == expected and len(env) == 10
    assert stat.S_IMODE((fresh_system.state_dir / "demo.env").stat().st_mode) == 0o600  # secret keys: the user's alone
    # the banner says where it is, as a line to paste into a shell
    banner = fresh_system.output[: fresh_system.banner_lines]
    assert any(f". {fresh_system.state_dir.resolve() / 'demo.env'}; set +a" in line for line in banner)


def imported_modules(block: str) -> set[str]:
    tree = ast.parse(block)
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(fresh_system: LocalSystem, block: str, tmp_path: Path) -> None:
    assert imported_modules(block) <= ALLOWED, "an example may import the stdlib and stripe only"
    example = tmp_path / "example.py"  # outside the repository, as a user saves it
    example.write_text(block)
    # -S: no site-packages' .pth files, so the editable install of the repo's own package is not
    # importable; PYTHONPATH hands it the installed packages themselves (stripe among them).
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": sysconfig.get_paths()["purelib"], **demo_env(fresh_system)}
    ran = subprocess.run(
        [sys.executable, "-S", str(example)], cwd=tmp_path, env=env, timeout=60, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
