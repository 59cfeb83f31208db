"""What may import what (docs/architecture.md), checked by walking every import of the package,
module-level and deferred alike; and no module outside ``jobtracker/sources/`` branches on the
source of a posting."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jobtracker"

#: Layers of the package: a module's layer is the first prefix of its dotted name found here.
LAYERS = {
    # pure: no Scrapy, no pymongo, no pandas
    "jobtracker.items": "pure",
    "jobtracker.clock": "pure",
    "jobtracker.redaction": "pure",
    "jobtracker.partitions": "pure",
    "jobtracker.arguments": "pure",
    "jobtracker.run": "pure",
    "jobtracker.normalize": "pure",
    "jobtracker.sources": "pure",
    "jobtracker.plan_discovery": "pure",
    "jobtracker.site_status": "pure",
    "jobtracker.derived": "pure",
    "jobtracker.notify.verdict": "pure",
    "jobtracker.archive": "pure",
    # the hourly sites' pages in a browser (Playwright, no Scrapy): the spider's and the probe's
    "jobtracker.browser": "browser",
    # all pymongo code
    "jobtracker.store": "store",
    # telling operators: Apprise messages and the health of every source, over the store
    "jobtracker.notify": "notify",
    # the crawl: Scrapy components over the two layers above
    "jobtracker.settings": "crawl",
    "jobtracker.spiders": "crawl",
    "jobtracker.pipelines": "crawl",
    "jobtracker.extensions": "crawl",
    "jobtracker.middlewares": "crawl",
    "jobtracker.archive_crawl": "crawl",
    "jobtracker.exporters": "crawl",
    "jobtracker.commands": "crawl",
    # reading the store
    "jobtracker.research": "research",
    # scrapyd nodes, and the live site's contract checked before scheduling on them
    "jobtracker.deploy": "deploy",
    "jobtracker.probe": "deploy",
    "jobtracker.probe_hourly": "deploy",
    "jobtracker.probe_archives": "deploy",
    # the command line
    "jobtracker.cli": "cli",
    "jobtracker.backfill": "cli",
    "jobtracker.__main__": "cli",
}
#: Which layers each layer may import (its own included).
MAY_IMPORT = {
    "package": {"package"},
    "pure": {"package", "pure"},
    "browser": {"package", "pure", "browser"},
    "store": {"package", "pure", "store"},
    "notify": {"package", "pure", "store", "notify"},
    "crawl": {"package", "pure", "store", "browser", "notify", "crawl"},
    "research": {"package", "pure", "store", "research"},
    "deploy": {
        "package",
        "pure",
        "store",
        "research",
        "browser",
        "notify",
        "deploy",
        "crawl-settings",
    },
    "cli": {"package", "pure", "store", "research", "deploy", "notify", "cli"},
}
#: Third-party packages a layer must not import.
FORBIDDEN = {
    "package": {"scrapy", "twisted", "pymongo", "pandas", "matplotlib", "pyarrow", "playwright"},
    "pure": {"scrapy", "twisted", "pymongo", "pandas", "matplotlib", "pyarrow", "playwright",
             "scrapy_playwright", "itemadapter"},
    "browser": {"scrapy", "twisted", "pymongo", "pandas", "matplotlib", "pyarrow",
                "scrapy_playwright", "itemadapter"},
    "store": {"scrapy", "twisted", "pandas", "matplotlib", "pyarrow", "playwright"},
    "notify": {"scrapy", "twisted", "pandas", "matplotlib", "pyarrow", "playwright",
               "scrapy_playwright", "itemadapter"},
    "crawl": {"pandas", "matplotlib", "pyarrow"},
    "research": {"scrapy", "twisted", "playwright", "scrapy_playwright"},
    "deploy": {"scrapy", "twisted", "playwright"},
    "cli": {"scrapy", "twisted", "playwright"},
}  # fmt: skip
#: The one place the package reaches the test world: `jobtracker sim|mongo|demo` in a checkout.
JOBSIM_ALLOWED = {"jobtracker.cli"}


def layer_of(module: str) -> str:
    if module == "jobtracker":
        return "package"
    if module == "jobtracker.settings":  # the crawl's settings, which deploy reads too
        return "crawl-settings"
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, imported module)`` for every import a file runs, deferred ones included (imports
    for type checkers only, under ``if TYPE_CHECKING:``, run nothing)."""
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import"
            base = node.module or ""
            yield node.lineno, base
            for alias in node.names:  # `from jobtracker import x` may name a module
                yield node.lineno, f"{base}.{alias.name}"


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if (
            isinstance(child, ast.If)
            and isinstance(child.test, ast.Name)
            and child.test.id == "TYPE_CHECKING"
        ):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer() -> None:
    for path in package_files():
        layer_of(module_name(path))


@pytest.mark.parametrize("path", package_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    module = module_name(path)
    layer = layer_of(module)
    layer = "crawl" if layer == "crawl-settings" else layer
    problems = []
    for line, name in imports(path):
        top = name.split(".")[0]
        if top == "jobsim":
            if module not in JOBSIM_ALLOWED:
                problems.append(f"line {line}: {name} (the test world is never shipped)")
        elif top == "jobtracker":
            target = _known_module(name)
            if target is not None and layer_of(target) not in MAY_IMPORT[layer]:
                problems.append(f"line {line}: {name} ({layer} may not import {layer_of(target)})")
        elif top in FORBIDDEN[layer]:
            problems.append(f"line {line}: {name} (no {top} in the {layer} layer)")
    assert not problems, f"{module}: " + "; ".join(problems)


def _known_module(name: str) -> str | None:
    """The package module an import names (``from jobtracker.x import y``: ``jobtracker.x``)."""
    parts = name.split(".")
    while parts:
        dotted = ".".join(parts)
        relative = Path(*parts)
        if (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir():
            return dotted
        parts.pop()
    return None


def test_the_package_reaches_the_test_world_only_from_inside_a_function() -> None:
    """`jobtracker --help` must not load jobsim: the one import of it is deferred."""
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    top_level = [
        node
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any("jobsim" in (getattr(node, "module", "") or alias.name) for alias in node.names)
    ]
    assert top_level == []


#: A comparison with the source of a posting: `item.source == X`, `x["source"] != Y`,
#: `.get("source") == ...`, `== SOURCE`.
SOURCE_NAMES = re.compile(r"^(source|[A-Z_]*SOURCE)$")


def _mentions_source(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and SOURCE_NAMES.match(child.id):
            return True
        if isinstance(child, ast.Attribute) and SOURCE_NAMES.match(child.attr):
            return True
        if isinstance(child, ast.Constant) and child.value == "source":
            return True
    return False


@pytest.mark.parametrize(
    "path",
    [p for p in package_files() if "sources" not in p.relative_to(PACKAGE).parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_branch_on_the_source_outside_the_sources(path: Path) -> None:
    branches = [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and any(_mentions_source(side) for side in [node.left, *node.comparators])
    ]
    assert branches == [], f"{path.name} compares a source at lines {branches}: ask the registry"


def test_no_type_ignore_for_run_state() -> None:
    """The run is a typed object (jobtracker.run.CrawlRun), never read off the spider by duck
    typing."""
    for path in package_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "type: ignore[attr-defined]" in line:
                assert not re.search(r"run_id|ledger|clock|scope|keyword|finish", line), (
                    f"{path}:{number}"
                )
