"""The README's Python examples work as written on a fresh local system, as `make run` starts it
(keys, account ids and URL filled in), in the order the README gives them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, LocalSystem, launch, stop

pytestmark = pytest.mark.integration

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.fixture(scope="module")
def fresh_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """Not the session's shared system: other tests change its demo accounts (their connectors)."""
    proc, system = launch(tmp_path_factory.mktemp("readme"))
    yield system
    stop(proc)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(fresh_system: LocalSystem, block: str) -> None:
    names = {f"{name.split()[1].upper()}": a for name, a in fresh_system.accounts.items()}
    values = {**{f"{n}_KEY": a.key for n, a in names.items()}, **{f"{n}_ACCOUNT": a.id for n, a in names.items()}}
    prelude = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    code = prelude + block.replace("http://127.0.0.1:8787", fresh_system.url)
    ran = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
