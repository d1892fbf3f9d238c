"""The documentation's configuration reference names every option and every config key.

The reference page (docs/reference.md) is rendered by the site's hook
(docs/hooks.py) as `mkdocs build` renders it; the options are read from
`pytest --help` in a fresh process, independently of the hook, and the keys
from the registries the config parser reads.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from modelgate.checks import CHECK_KINDS
from modelgate.checks.properties import COMMON_KEYS, PROPERTY_KINDS
from modelgate.config import GateSettings
from modelgate.config.gate_config import top_keys
from modelgate.metrics import METRICS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load_hooks():
    spec = importlib.util.spec_from_file_location("modelgate_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference() -> str:
    """docs/reference.md as the site shows it, its tables rendered."""
    return load_hooks().render((DOCS / "reference.md").read_text())


@pytest.fixture(scope="module")
def help_options() -> list[str]:
    """The options pytest --help lists under modelgate's group."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"], capture_output=True, text=True, check=True
    ).stdout
    section = out.split("model quality gate (modelgate):", 1)[1]
    section = re.split(r"\n\S", section, maxsplit=1)[0]  # up to the next group's title
    return sorted(set(re.findall(r"^\s{2}(--[a-z][a-z-]+)", section, flags=re.MULTILINE)))


def in_code(page: str, name: str) -> bool:
    """``name`` shown as code on the page (alone, or first in a code span: `--gate-tag NAME`)."""
    return re.search(rf"`{re.escape(name)}[` ,=]", page) is not None


def test_every_option_is_in_the_reference(reference, help_options):
    assert len(help_options) >= 20, help_options  # the group was found and read
    missing = [option for option in help_options if not in_code(reference, option)]
    assert not missing, f"options missing from docs/reference.md: {missing}"


def test_every_setting_is_in_the_reference_with_its_ini_key(reference):
    for setting in (f.name for f in fields(GateSettings)):
        assert in_code(reference, setting), setting
        assert in_code(reference, f"modelgate_{setting}"), setting


def test_every_config_key_is_in_the_reference(reference):
    keys = set(top_keys()) | set(COMMON_KEYS)
    for kind in CHECK_KINDS.values():
        keys |= set(kind.keys)
    for kind in PROPERTY_KINDS.values():
        keys |= set(kind.keys)
    missing = sorted(key for key in keys if not in_code(reference, key))
    assert not missing, f"config keys missing from docs/reference.md: {missing}"


def test_every_metric_property_kind_and_check_kind_is_in_the_reference(reference):
    names = [*METRICS, *PROPERTY_KINDS, *CHECK_KINDS]
    missing = [name for name in names if not in_code(reference, name)]
    assert not missing, missing


def test_every_key_has_a_description_and_every_marker_is_rendered(reference):
    assert "<!-- modelgate:" not in reference
    empty = re.findall(r"^\| `([^`]+)` \|\s*\|$", reference, flags=re.MULTILINE)  # a two-column row with no meaning
    assert not empty, f"keys without a description: {empty}"


def test_a_key_the_hook_cannot_describe_is_a_build_warning(caplog, monkeypatch):
    hooks = load_hooks()
    monkeypatch.delitem(hooks.KEY_HELP, "margin")
    with caplog.at_level("WARNING", logger="mkdocs.plugins.modelgate"):
        hooks.render("<!-- modelgate:check-kinds -->")
    assert any("'margin'" in record.getMessage() for record in caplog.records)


def test_the_documents_stay_inside_the_repository():
    """No design-document sections, no issue numbers, no links to pages elsewhere."""
    root = DOCS.parent
    pages = [root / "README.md", root / "CONTRIBUTING.md", root / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        text = page.read_text()
        assert "DESIGN" not in text, page
        assert not re.search(r"\bissues? #?\d", text, flags=re.IGNORECASE), page
        assert not re.search(r"\]\(https?://", text), page
