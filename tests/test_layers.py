"""The package's folders are layers; each imports only the layers below it (docs/developing.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "lib" / "clientbook"
# Lower number = lower layer. clv is a self-contained model library beside metrics.
LAYERS = {
    "config": 0,
    "data": 1,
    "metrics": 2,
    "clv": 2,
    "present": 3,
    "steps": 4,
    "deliver": 5,
    "run": 6,
}


def _imports(path: Path) -> set[str]:
    """Every clientbook layer a module imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "clientbook":
                names = [f"clientbook.{a.name}" for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for n in names:
            parts = n.split(".")
            if parts[0] == "clientbook" and len(parts) > 1 and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_every_module_sits_in_a_layer_folder():
    loose = [p.name for p in PKG.glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"modules outside the layer folders: {loose}"
    assert {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(
        LAYERS
    )


def test_layers_import_only_downwards():
    wrong = []
    for path in PKG.rglob("*.py"):
        layer = path.relative_to(PKG).parts[0]
        if layer not in LAYERS:
            continue
        for other in _imports(path):
            if LAYERS[other] > LAYERS[layer] or (other != layer and LAYERS[other] == LAYERS[layer]):
                wrong.append(f"{path.relative_to(PKG)} imports {other}")
    assert wrong == []


def test_the_checker_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from clientbook.deliver import report\n", encoding="utf-8")
    assert _imports(bad) == {"deliver"}
