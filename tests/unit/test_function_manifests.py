"""Each function's folder has the requirements.txt `sam build` looks for (without one it warns
"requirements.txt file not found", once per function), and it requires nothing: the layer carries
every dependency, so a function's package stays its own code. Its one line, `--no-index`, is what
keeps sam's cached build quiet too (a comment-only file leaves no dependency folder to copy)."""

from __future__ import annotations

import pytest

from localrun import template as tpl

FUNCTIONS = tpl.resources(tpl.load(), "AWS::Serverless::Function")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_requires_nothing_of_its_own(name: str) -> None:
    manifest = tpl.ROOT / FUNCTIONS[name]["Properties"]["CodeUri"] / "requirements.txt"
    assert manifest.is_file(), f"{manifest.relative_to(tpl.ROOT)} is missing: copy functions/customers/requirements.txt"
    requirements = [line for line in manifest.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert requirements == ["--no-index"], "a function's dependencies belong in layers/orgshare/requirements.txt"
