"""Every route of template.yaml, with what its handler reads: the params model it validates the
request into (`api.read(Model)` / `api.write(Model, ...)` in functions/<name>/app.py), and whether
it writes (idempotent POST/DELETE) or takes a publishable key.

The handlers are read, not imported: importing one builds its resolver and its clients, while
the module's text names the model, and the model is a plain pydantic class of orgshare.params."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from localrun import template as tpl


@dataclass(frozen=True)
class Route:
    method: str  # lower case, as OpenAPI spells it
    path: str  # the template's: /v1/customers/{customer}
    function: str  # the template's logical id
    authorized: bool  # False: `Auth: {Authorizer: NONE}`
    handler: str | None = None  # the Python function serving it (None: not an orgshare.api handler)
    model: type[BaseModel] | None = None
    writes: bool = False  # api.write: idempotent, takes Idempotency-Key
    publishable: bool = False  # a publishable key may call it

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


@dataclass(frozen=True)
class _Handler:
    name: str
    model: type[BaseModel] | None
    writes: bool
    publishable: bool


def _imports(tree: ast.Module) -> dict[str, Any]:
    """What `from X import a, b` and `import X` bind at module level, resolved."""
    bound: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orgshare"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                name = alias.asname or alias.name
                try:
                    bound[name] = getattr(module, alias.name)
                except AttributeError:  # a submodule: from orgshare.domain import customers
                    bound[name] = importlib.import_module(f"{node.module}.{alias.name}")
    return bound


def _evaluate(node: ast.expr, names: dict[str, Any]) -> Any:
    """A decorator's path: string constants, module constants and their concatenations."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Attribute):
        return getattr(_evaluate(node.value, names), node.attr)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _evaluate(node.left, names) + _evaluate(node.right, names)
    raise ValueError(f"cannot evaluate {ast.unparse(node)}")


def _served(function: ast.FunctionDef, names: dict[str, Any]) -> _Handler:
    for call in ast.walk(function):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)):
            continue
        if call.func.value.id == "api" and call.func.attr in ("read", "write") and call.args:
            model = _evaluate(call.args[0], names)
            publishable = any(k.arg == "publishable" and isinstance(k.value, ast.Constant) and k.value.value for k in call.keywords)
            return _Handler(function.name, model, call.func.attr == "write", publishable)
    return _Handler(function.name, None, False, False)


def _shape(path: str) -> str:
    """A path with its parameters unnamed: the template and the handler may name them differently."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def handlers(source: Path) -> dict[tuple[str, str], _Handler]:
    """(method, path shape) -> the handler of one functions/<name>/app.py."""
    tree = ast.parse(source.read_text())
    names = _imports(tree)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                names[node.targets[0].id] = _evaluate(node.value, names)
            except (ValueError, KeyError, AttributeError, TypeError):
                continue  # not a constant (api = Api(), app = api.resolver)
    found: dict[tuple[str, str], _Handler] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.value.id == "app"
                and decorator.func.attr in ("get", "post", "delete")
            ):
                path = str(_evaluate(decorator.args[0], names))
                found[(decorator.func.attr, _shape(path))] = _served(node, names)
    return found


def routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every Api event of every function of the template, in the template's order."""
    template = template if template is not None else tpl.load()
    out: list[Route] = []
    for name, res in tpl.resources(template, "AWS::Serverless::Function").items():
        props = res["Properties"]
        events = [e["Properties"] for e in props.get("Events", {}).values() if e["Type"] == "Api"]
        if not events:
            continue
        source = tpl.ROOT / props["CodeUri"] / (props["Handler"].rpartition(".")[0] + ".py")
        served = handlers(source)
        for event in events:
            method, path = event["Method"].lower(), event["Path"]
            handler = served.get((method, _shape(path)))
            authorized = (event.get("Auth") or {}).get("Authorizer") != "NONE"
            if handler is None:
                out.append(Route(method, path, name, authorized))
            else:
                out.append(Route(method, path, name, authorized, handler.name, handler.model, handler.writes, handler.publishable))
    return out
