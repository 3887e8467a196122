"""make bench, footprint: what `sam build` made, unzipped, per function with the layer it loads
(the goal: at most 25 MB each), and the layer's largest packages.

    python -m bench.footprint        (after `make build`; says so when there is no build)
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"
GOAL_MB = 25.0
LAYER = "SharedLayer"


def _bytes(path: Path) -> int:
    return sum((Path(folder) / name).stat().st_size for folder, _, names in os.walk(path) for name in names)


def measure(build: Path = BUILD) -> tuple[dict[str, int], int, list[tuple[str, int]]] | None:
    """(function -> its own bytes, the layer's bytes, the layer's packages by size), or None before a build."""
    layer = build / LAYER
    if not layer.is_dir():
        return None
    functions = {p.name: _bytes(p) for p in sorted(build.iterdir()) if p.is_dir() and p.name != LAYER}
    packages = sorted(((p.name, _bytes(p) if p.is_dir() else p.stat().st_size) for p in (layer / "python").iterdir()), key=lambda x: -x[1])
    return functions, _bytes(layer), packages


def report(measured: tuple[dict[str, int], int, list[tuple[str, int]]] | None) -> list[str]:
    if measured is None:
        return ["Built size: no .aws-sam/build here (run `make build` first)"]
    functions, layer, packages = measured
    mb = 1024 * 1024
    largest = max(functions.values())
    lines = [
        f"Built size, unzipped (goal: function + layer <= {GOAL_MB:.0f} MB)",
        f"  layer {LAYER}: {layer / mb:6.1f} MB; the largest function's own code {largest / mb:.2f} MB;"
        f" function + layer at most {(layer + largest) / mb:.1f} MB",
        "  the layer's largest packages: " + ", ".join(f"{name} {size / mb:.1f} MB" for name, size in packages[:6]),
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
