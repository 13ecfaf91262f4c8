"""harness/ is laid out by layer, and imports go one way: down.

seam (the backend over HTTP) and servers import no other layer; the browser side stands
on the seam; verdicts and reports on both; the fixtures on everything below them; the
plugin module and `harness/__init__.py` on anything; the checks on anything but fixtures
(pytest hands fixtures to them).
"""

from __future__ import annotations

import ast
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[2] / "harness"

MAY_IMPORT = {
    "seam": {"seam"},
    "servers": {"servers"},
    "browser": {"seam", "browser"},
    "verdicts": {"seam", "browser", "verdicts"},
    "fixtures": {"seam", "servers", "browser", "verdicts", "fixtures"},
    "conformance": {"seam", "servers", "browser", "verdicts", "top"},
    "top": {"seam", "servers", "browser", "verdicts", "fixtures", "top"},
}


def _layer(module: str) -> str:
    """`harness.seam.client` -> seam; `harness`, `harness.plugin` -> top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) \
        else "top"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += ([f"{node.module}.{a.name}" for a in node.names]
                      if node.module == "harness" else [node.module])
    return [name for name in found if name == "harness" or name.startswith("harness.")]


def _module_of(path: Path) -> str:
    parts = path.relative_to(HARNESS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_sits_in_a_layer_folder_or_is_the_plugin_or_the_public_names() -> None:
    flat = sorted(p.name for p in HARNESS.glob("*.py"))
    assert flat == ["__init__.py", "plugin.py"], flat
    assert not list(HARNESS.rglob("test_*.py")) or all(
        p.parent.name == "conformance" for p in HARNESS.rglob("test_*.py")), \
        "product code named like a test module outside harness/conformance"


def test_imports_go_down_the_layers_only() -> None:
    wrong = []
    for path in sorted(HARNESS.rglob("*.py")):
        layer = _layer(_module_of(path))
        for name in _imports(path):
            target = "top" if name == "harness" else _layer(name)
            if target not in MAY_IMPORT[layer]:
                wrong.append(f"{path.relative_to(HARNESS.parent)} ({layer}) imports {name} "
                             f"({target})")
    assert not wrong, "\n".join(wrong)


def test_the_layer_rule_catches_an_upward_import() -> None:
    # The rule itself can fail: a seam module that imports the driver is not allowed.
    assert _layer("harness.seam.client") == "seam"
    assert _layer(_module_of(HARNESS / "verdicts" / "__init__.py")) == "verdicts"
    assert _layer("harness.plugin") == "top" and _layer("harness") == "top"
    assert _layer("harness.browser.driver") not in MAY_IMPORT["seam"]
    assert _layer("harness.fixtures.app") not in MAY_IMPORT["conformance"]
