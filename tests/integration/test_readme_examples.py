"""The README's Python examples work on the local system as written (keys and URL filled in)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, LocalSystem

pytestmark = pytest.mark.integration

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(local_system: LocalSystem, block: str) -> None:
    keys = {f"{name.split()[1].upper()}_KEY": a.key for name, a in local_system.accounts.items()}
    prelude = "".join(f"{name} = {key!r}\n" for name, key in keys.items())
    code = prelude + block.replace("http://127.0.0.1:8787", local_system.url)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True)
