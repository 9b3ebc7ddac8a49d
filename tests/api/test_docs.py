"""The API reference builds from the docstrings (``mkdocs build --strict``) and shows every public name,
every config field with its default and description, and parameters parsed as numpydoc."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import layertopo
from layertopo.config import ExperimentConfig, SignificanceConfig, TopologyConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_page(tmp_path_factory) -> str:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (site / "api" / "index.html").read_text()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&quot;", '"')


def test_every_public_name_has_its_entry(api_page):
    anchors = set(re.findall(r'id="([^"]+)"', api_page))
    missing = [name for name in layertopo.__all__ if not any(a.endswith(f".{name}") for a in anchors)]
    assert not missing, f"not in docs/api.md: {missing}"


@pytest.mark.parametrize("config", [TopologyConfig, SignificanceConfig, ExperimentConfig])
def test_every_config_field_shows_its_default_and_description(api_page, config):
    for name, field in config.model_fields.items():
        anchor = f'id="layertopo.config.{config.__name__}.{name}"'
        assert anchor in api_page, f"{config.__name__}.{name} is not on the page"
        entry = _text(api_page[api_page.index(anchor) : api_page.index(anchor) + 3000])
        assert field.description, f"{config.__name__}.{name} has no description"
        assert field.description[:40] in entry, f"{config.__name__}.{name}: description not shown"
        if not field.is_required() and field.default_factory is None:
            default = field.default
            shown = f"{type(default).__name__} (" if isinstance(default, BaseModel) else repr(default)
            assert f"{name} = {shown}" in entry, f"{config.__name__}.{name}: default {shown} not shown"


def test_public_docstrings_are_numpydoc_with_types_not_prose():
    griffe = pytest.importorskip("griffe")
    loader = griffe.GriffeLoader(docstring_parser=griffe.Parser.numpy)
    package = loader.load("layertopo", try_relative_path=False)
    objects = []
    for name in layertopo.__all__:
        module = layertopo._EXPORTS[name].removeprefix("layertopo.")
        obj = package[f"{module}.{name}"]
        obj = obj.final_target if obj.is_alias else obj
        objects.append(obj)
        if obj.is_class:
            objects += [m for m in obj.members.values() if m.is_function and not m.name.startswith("_") and m.docstring]
    problems = []
    for obj in objects:
        if obj.docstring is None:
            problems.append(f"{obj.path}: no docstring")
            continue
        for section in obj.docstring.parsed:
            if section.kind.value != "parameters":
                continue
            for parameter in section.value:
                kind = str(parameter.annotation or "")
                if kind.endswith(".") or "``" in kind or ";" in kind:
                    problems.append(f"{obj.path}({parameter.name}): type reads as prose: {kind!r}")
    assert not problems, "\n".join(problems)


def test_the_readme_keeps_its_set_up_commands_sections_and_results_table():
    """An edit once cut six sections out of the README and every other test passed: the two set-up commands
    (the second is what CI runs), the sections a reader looks for and the default run's results table must
    stay."""
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    for section in (
        "Set-up",
        "The default experiment",
        "What a run writes",
        "Commands",
        "Nothing computed is lost",
        "Significance",
        "Speed and scale",
        "Library",
        "Development",
    ):
        assert any(h.startswith(section) for h in headings), section
    assert "| | `good` | `narrow_first` | `narrow_middle` |" in text
