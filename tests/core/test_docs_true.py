"""The docs an admin and a new engineer start from stay true to the code: every setting the
code reads is documented and every documented setting is read, every relative link in the
docs resolves, and the package docstring's map names every module."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from connectors.jira.settings import JiraSettings
from connectors.sandbox.settings import SandboxSettings
from connectors.zendesk.settings import ZendeskSettings
from tco_bridge import config

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DOCS = (ROOT / "README.md", ROOT / "docs" / "operations.md")
#: Documented as a pattern: ``ratelimit.override_from_env`` builds the name per connector.
PATTERN = re.compile(r"^TCO_[A-Z]+_WRITE_LIMITS$")
#: Set by ``tco-bridge run`` for the processes it starts, never by an admin.
INTERNAL = {"TCO_STARTUP_WARNED", "TCO_RULES_CHECKED"}
#: Read by the test suite and `make fuzz`, documented under Development.
DEVELOPMENT = {"TCO_FUZZ_EXAMPLES", "TCO_TEST_REDIS_URL", "TCO_STARTUP_ROUNDS"}


class _Recorder(Mapping[str, str]):
    """An empty environment that remembers every key a ``from_env`` looked up."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _read_by_the_code() -> set[str]:
    names = {
        value
        for name, value in vars(config).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", value)
    }
    for settings in (JiraSettings, ZendeskSettings, SandboxSettings):
        env = _Recorder()
        settings.from_env(env)
        names |= env.asked
    return names


def _documented() -> set[str]:
    """Variable names in the docs' settings tables and lists (backticked, upper case)."""
    text = "\n".join(p.read_text() for p in SETTINGS_DOCS)
    return set(re.findall(r"`((?:TCO_|REDIS_|PROMETHEUS_)[A-Z0-9_<>]+|HOST|PORT)`", text))


def test_every_variable_the_code_reads_is_documented() -> None:
    read = _read_by_the_code()
    assert {"TCO_RULES", "TCO_JIRA_URL", "TCO_ZENDESK_KB", "TCO_SANDBOX_DB"} <= read
    missing = sorted(read - _documented())
    assert missing == [], f"read by the code, not in README.md or docs/operations.md: {missing}"


def test_every_documented_variable_is_read_by_the_code() -> None:
    suite = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py") if p != Path(__file__))
    assert all(f'"{name}"' in suite for name in DEVELOPMENT)
    known = _read_by_the_code() | DEVELOPMENT | {"TCO_<NAME>_WRITE_LIMITS"}
    stale = sorted(v for v in _documented() - known if not PATTERN.match(v) and v not in INTERNAL)
    assert stale == [], f"documented, but no code reads it: {stale}"


def _readme_defaults() -> dict[str, str]:
    """The README settings table: variable → the default column's values, in order."""
    out: dict[str, str] = {}
    for row in re.findall(
        r"^\| (`[^|]+) \|[^\n]*\| ([^|\n]+) \|$", SETTINGS_DOCS[0].read_text(), re.M
    ):
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0])
        values = re.findall(r"`([^`]+)`", row[1])
        out |= {name: values[i] for i, name in enumerate(names) if i < len(values)}
    return out


def test_the_readme_states_the_defaults_settings_has() -> None:
    """For each of config.py's variables with a plain default (a number, a word, a yes/no),
    the README's default column says that value."""
    base = config.Settings.from_env({})
    documented = _readme_defaults()
    checked = []
    for name, var in vars(config).items():
        if not name.isupper() or not isinstance(var, str) or not var.isupper():
            continue
        for sample in ("7", "1", "0", "x"):
            try:
                other = config.Settings.from_env({var: sample})
            except config.ConfigError:
                continue
            changed = [
                f.name
                for f in dataclasses.fields(config.Settings)
                if f.name != "env" and getattr(other, f.name) != getattr(base, f.name)
            ]
            if changed:
                break
        default = getattr(base, changed[0])
        if isinstance(default, bool):
            default = int(default)
        if isinstance(default, int | str) and var in documented:
            checked.append(var)
            assert documented[var] == str(default), var
    assert {"PORT", "TCO_SHARDS", "TCO_SHADOW", "TCO_QUEUE", "TCO_WEBHOOK_FAST_PATH"} <= set(
        checked
    )


def _doc_files() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "examples").glob("*/README.md")),
        ROOT / "benchmarks" / "README.md",
    ]


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken = []
    for page in _doc_files():
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", link):
                continue
            path, _, anchor = link.partition("#")
            target = page.parent / path if path else page
            if not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such heading)")
    assert broken == []


#: Packages whose docstring is the map of their modules.
MAPPED = (
    "tco_bridge",
    "tco_bridge.rules",
    "tco_bridge.web",
    "tco_bridge.web.console",
    "tco_bridge.cli",
    "tco_bridge.testing",
    "connectors.jira",
    "connectors.zendesk",
    "connectors.sandbox",
)


def test_each_package_docstring_maps_every_module() -> None:
    import importlib

    unmapped = []
    for name in MAPPED:
        package = importlib.import_module(name)
        folder = Path(package.__file__ or "").parent
        doc = package.__doc__ or ""
        parts = [p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")]
        parts += [p.name for p in folder.iterdir() if (p / "__init__.py").exists()]
        for part in parts:
            if not any(f in doc for f in (f"``{part}``", f"``{part}/``", f":mod:`.{part}`")):
                unmapped.append(f"{name}: {part}")
    assert unmapped == []


def _command_lines() -> Iterator[tuple[str, list[str]]]:
    """Each ``tco-bridge …`` the docs show, as (page, words up to a comment or the line's end)."""
    for page in _doc_files():
        for line in page.read_text().splitlines():
            for found in re.finditer(
                r"(?:^|[\s`(])(?:\.venv/bin/)?tco-bridge ([a-z][^`#|)]*)", line
            ):
                words = found.group(1).split()
                if words:
                    yield page.name, words


def test_every_command_and_option_the_docs_show_exists() -> None:
    import click

    from tco_bridge.cli import main

    wrong = []
    shown = 0
    for page, words in _command_lines():
        command: click.Command = main
        rest = list(words)
        while isinstance(command, click.Group) and rest and rest[0] in command.commands:
            command = command.commands[rest.pop(0)]
        if command is main:
            continue  # prose: "tco-bridge runs beside your ticket tool"
        shown += 1
        shown_as = f"{page}: tco-bridge {' '.join(words)}"
        if isinstance(command, click.Group) and rest and re.fullmatch(r"[a-z]+", rest[0]):
            wrong.append(f"{shown_as}: no sub-command {rest[0]!r}")
        known = {o for p in command.params for o in getattr(p, "opts", [])}
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(rest)):
            if option not in known | {"--help"}:
                wrong.append(f"{shown_as}: no {option}")
    assert shown > 30
    assert wrong == []


def test_every_make_target_the_docs_show_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    shown = set()
    for page in _doc_files():
        text = page.read_text()
        shown |= set(re.findall(r"`make ([a-z]+)`", text))
        shown |= set(re.findall(r"^(?:[A-Z_]+=\S+ )*make ([a-z]+)", text, re.M))
    assert {"run", "demo", "test"} <= shown
    assert sorted(shown - targets) == []


def test_every_test_the_docs_cite_exists() -> None:
    """docs/operations.md names the test that holds each guarantee: the file and the test."""
    suite = {p: p.read_text() for p in (ROOT / "tests").rglob("test_*.py")}
    defined = {m for text in suite.values() for m in re.findall(r"^\s*def (test_\w+)", text, re.M)}
    missing = []
    for page in _doc_files():
        text = page.read_text()
        for path, name in re.findall(r"(?<![\w/])(tests/[\w/]+\.py)(?:::(test_\w+))?", text):
            target = next((t for t in (ROOT / path, page.parent / path) if t.exists()), None)
            if target is None:
                missing.append(f"{page.name}: {path}")
            elif name and not re.search(rf"def {name}\b", target.read_text()):
                missing.append(f"{page.name}: {path}::{name}")
        missing += [
            f"{page.name}: {n}" for n in re.findall(r"`(test_\w+)`", text) if n not in defined
        ]
    assert missing == []


def test_every_file_the_docs_name_exists() -> None:
    """A backticked file name (``worker.py``, ``web/webhooks.py``, ``rules/default.yaml``) names
    a file of the repository: the docs name modules by path from wherever the text stands."""
    files = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*")
        if p.suffix in {".py", ".yaml", ".md", ".toml"}
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    ]
    missing = []
    for page in _doc_files():
        for name in re.findall(r"`([\w./-]+\.(?:py|yaml|md|toml))`", page.read_text()):
            if not any(f == name or f.endswith("/" + name) for f in files):
                missing.append(f"{page.name}: {name}")
    assert missing == []
