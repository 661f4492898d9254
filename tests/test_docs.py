"""The documentation cannot drift from the code.

Checked against the live code, without a database:

* every setting of ``ronda.config.Settings`` (nested ones by dotted name) and its
  environment variable are in docs/configuration.md, and ronda.toml.example
  lists every setting and gives exactly the defaults;
* every command of the live ``ronda`` command tree has a section in
  docs/cli.md that names each of its options and arguments, and no section
  describes a command that does not exist;
* every ``/api/v1`` operation of the app's OpenAPI schema is in docs/api.md;
* every relative link in README.md and docs/*.md points to an existing file
  (and, for ``file.md#anchor``, to an existing heading).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from inspect import isclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
import typer
from pydantic import BaseModel

from ronda import config
from ronda.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLE = ROOT / "ronda.toml.example"


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def without_code_blocks(text: str) -> str:
    """The text with fenced code blocks blanked out (line count kept)."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else line)
    return "\n".join(out)


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, heading text, line number) of every Markdown heading outside code blocks."""
    found = []
    for number, line in enumerate(without_code_blocks(text).splitlines()):
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            found.append((len(match.group(1)), match.group(2), number))
    return found


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No RONDA_* variable from the caller's shell, and the settings in force restored."""
    for name in list(os.environ):
        if name.upper().startswith("RONDA_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(config, "_current", config._current)
    return monkeypatch


# --- settings -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    dotted: str  # smtp.host, imap[*].host, deadline_policies
    env: str | None  # RONDA_SMTP__HOST; None inside a list (set through the list's variable)


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _is_model(annotation: Any) -> bool:
    return isclass(annotation) and issubclass(annotation, BaseModel)


def settings_of(
    model: type[BaseModel] = Settings, prefix: str = "", env: str | None = "RONDA_"
) -> list[Setting]:
    """Every setting, nested ones by dotted name; list members as ``name[*].field``."""
    found: list[Setting] = []
    for name, field in model.model_fields.items():
        annotation = _unwrap(field.annotation)
        dotted = f"{prefix}{name}"
        var = f"{env}{name.upper()}" if env is not None else None
        if _is_model(annotation):
            found.extend(settings_of(annotation, f"{dotted}.", f"{var}__" if var else None))
            continue
        found.append(Setting(dotted, var))
        args = get_args(annotation)
        if get_origin(annotation) is list and args and _is_model(_unwrap(args[0])):
            found.extend(settings_of(_unwrap(args[0]), f"{dotted}[*].", None))
    return found


def test_settings_are_found_nested_and_in_lists() -> None:
    names = {s.dotted: s.env for s in settings_of()}
    assert names["database_url"] == "RONDA_DATABASE_URL"
    assert names["smtp.host"] == "RONDA_SMTP__HOST"
    assert names["limits.max_raw_bytes"] == "RONDA_LIMITS__MAX_RAW_BYTES"
    assert names["deadline_policies"] == "RONDA_DEADLINE_POLICIES"
    assert names["deadline_policies[*].hours"] is None
    assert names["imap[*].host"] is None
    assert "smtp" not in names  # a nested table is documented by its fields


def _mentions(text: str, name: str) -> bool:
    """``name`` appears as a whole name, not as part of a longer one."""
    return re.search(rf"(?<![\w.\[\]*]){re.escape(name)}(?![\w\[])", text) is not None


def test_every_setting_is_in_configuration_md() -> None:
    text = read_doc("configuration.md")
    missing = [s.dotted for s in settings_of() if not _mentions(text, s.dotted)]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_environment_variable_is_in_configuration_md() -> None:
    text = read_doc("configuration.md")
    missing = [s.env for s in settings_of() if s.env and not _mentions(text, s.env)]
    assert not missing, f"environment variables missing from docs/configuration.md: {missing}"


def _in_example(text: str, dotted: str) -> bool:
    """The key is set (or shown commented out), and so is its [table] or [[table]]."""
    *table, key = dotted.replace("[*]", "").split(".")
    line = r"^#?[ \t]*"
    if table and not re.search(rf"{line}\[\[?{re.escape('.'.join(table))}\]\]?", text, re.M):
        return False
    return (
        re.search(rf"{line}(?:{re.escape(key)}\s*=|\[\[?{re.escape(key)}\]\]?)", text, re.M)
        is not None
    )


def test_example_settings_file_names_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [s.dotted for s in settings_of() if not _in_example(text, s.dotted)]
    assert not missing, f"settings missing from ronda.toml.example: {missing}"


def test_example_settings_file_gives_the_defaults(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("RONDA_CONFIG", str(EXAMPLE))
    from_example = Settings()
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    clean_env.setenv("RONDA_CONFIG", str(empty))
    assert from_example.model_dump() == Settings().model_dump()


# --- CLI ----------------------------------------------------------------------------


def live_commands() -> dict[str, Any]:
    """Every command of the live ``ronda`` tree by path ("ronda takedowns due")."""
    from ronda.cli.main import app

    root = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str], parent: Any) -> None:
        if getattr(command, "hidden", False):
            return
        found[" ".join(path)] = command
        if hasattr(command, "list_commands"):
            ctx = command.context_class(command, info_name=path[-1], parent=parent)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name], ctx)

    walk(root, ["ronda"], None)
    return found


def cli_sections() -> dict[str, str]:
    """docs/cli.md sections headed by a command in backticks: path -> section text."""
    text = read_doc("cli.md")
    lines = text.splitlines()
    marks = [
        (match.group(1), number)
        for _, title, number in headings(text)
        if (match := re.fullmatch(r"`(ronda(?: [\w-]+)*)`", title))
    ]
    ends = [number for _, _, number in headings(text)]
    sections = {}
    for path, start in marks:
        end = min((n for n in ends if n > start), default=len(lines))
        sections[path] = "\n".join(lines[start:end])
    return sections


def test_the_command_tree_is_walked() -> None:
    commands = live_commands()
    assert {"ronda", "ronda intake", "ronda takedowns", "ronda takedowns due"} <= set(commands)


def test_every_command_is_in_cli_md() -> None:
    sections = cli_sections()
    missing = [path for path in live_commands() if path not in sections]
    assert not missing, f"commands without a section in docs/cli.md: {missing}"


def test_cli_md_describes_only_existing_commands() -> None:
    stale = [path for path in cli_sections() if path not in live_commands()]
    assert not stale, f"docs/cli.md describes commands that do not exist: {stale}"


def test_every_option_and_argument_is_in_its_section() -> None:
    sections = cli_sections()
    missing = []
    for path, command in live_commands().items():
        section = sections.get(path, "")
        for param in command.params:
            if param.param_type_name == "argument":
                names = [str(param.name).upper()]
            else:
                names = [o for o in [*param.opts, *param.secondary_opts] if o != "--help"]
            missing += [f"{path}: {n}" for n in names if not _mentions(section, n)]
    assert not missing, f"options or arguments missing from docs/cli.md: {missing}"


# --- HTTP API -----------------------------------------------------------------------


def api_operations(tmp_path: Path) -> set[str]:
    from ronda.web.app import create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    schema = app.openapi()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/") or path == "/api/v1"
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_api_operation_is_in_api_md(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = read_doc("api.md")
    operations = api_operations(tmp_path)
    assert "POST /api/v1/takedowns" in operations
    missing = sorted(op for op in operations if f"`{op}`" not in text)
    assert not missing, f"API operations missing from docs/api.md: {missing}"


def test_api_md_describes_only_existing_operations(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    operations = api_operations(tmp_path)
    documented = {
        match.group(1)
        for _, title, _ in headings(read_doc("api.md"))
        if (match := re.fullmatch(r"`((?:GET|POST|PUT|PATCH|DELETE) /api/v1\S*)`", title))
    }
    stale = sorted(documented - operations)
    assert not stale, f"docs/api.md describes operations that do not exist: {stale}"


# --- links --------------------------------------------------------------------------

_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).replace("`", "")
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, title, _ in headings(path.read_text(encoding="utf-8")):
        base = slug(title)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def broken_links(doc: Path) -> list[str]:
    text = re.sub(r"`[^`\n]*`", "", without_code_blocks(doc.read_text(encoding="utf-8")))
    broken = []
    for target in _LINK.findall(text):
        if _SCHEME.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = (doc.parent / path_part).resolve() if path_part else doc
        if not resolved.exists():
            broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    return broken


def test_links_are_found() -> None:
    sample = "[a](docs/x.md) [b](https://example.org) [c](#here) ![img](pic.png) `[d](no.md)`"
    found = _LINK.findall(re.sub(r"`[^`\n]*`", "", sample))
    assert found == ["docs/x.md", "https://example.org", "#here", "pic.png"]
    assert slug("Follow-ups: `is_followup(subject, text)`") == "follow-ups-is_followupsubject-text"
    assert slug("`ronda serve --demo`") == "ronda-serve---demo"


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    broken = broken_links(doc)
    assert not broken, "broken links:\n" + "\n".join(broken)
