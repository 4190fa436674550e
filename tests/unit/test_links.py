"""Docs that cannot drift: every relative link resolves, and nothing points outside the repository.

A link in README.md, the top-level project files or docs/ must name a file of this repository
(and, for a Markdown target with ``#anchor``, one of its headings). No file that ships, code
included, may name a Markdown document the repository does not hold, an absolute path on some
machine, or the machine the project happens to be built on: a reader has only the repository.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        *(p for p in ROOT.glob("*.md")),
        *(ROOT / "docs").glob("*.md"),
    ]
)
# Inline links and images `[text](target)`, and reference definitions `[name]: target`.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s+(\S+)", re.M)
# A project document named in capitals (README.md, CHANGELOG.md): it must exist in the repository.
# A leading `-` or `_` marks part of a longer file name (`epic-ARCHIVE_SUMMARY.md`), not a document.
PROJECT_DOC = re.compile(r"(?<![\w./-])([A-Z][A-Z0-9_]*(?:-[A-Z0-9_]+)*\.md)\b")
ABSOLUTE = re.compile(r"(?<![\w.~/-])/(?:work|home|root|opt|srv|mnt|Users)/[\w.-]+")
MACHINE = re.compile(r"\bbuild\s+machine\b|\.\./shared\b", re.I)
# What ships or is read by users: everything tracked except the tests' data and vendored extracts.
SCANNED_PREFIXES = ("src/", "docs/", "examples/", "scripts/", ".ci/", ".github/", "bench/")
SCANNED_ROOT = ("Dockerfile", "action.yml", "pyproject.toml")


@cache
def tracked() -> tuple[str, ...]:
    """Files git tracks (plus new ones not yet committed), relative to the root."""
    if not (ROOT / ".git").exists():  # an unpacked sdist: every file but caches and venvs
        return tuple(
            p.relative_to(ROOT).as_posix()
            for p in sorted(ROOT.rglob("*"))
            if p.is_file()
            and not any(s.startswith((".venv", "__pycache__")) for s in p.relative_to(ROOT).parts)
        )
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return tuple(line for line in out.splitlines() if (ROOT / line).is_file())


def shipped_texts() -> list[Path]:
    """Tracked text files users read or run: docs, code, scripts, workflows."""
    names = [
        n
        for n in tracked()
        if n.startswith(SCANNED_PREFIXES)
        or n in SCANNED_ROOT
        or ("/" not in n and n.endswith(".md"))
    ]
    return [ROOT / n for n in names if (ROOT / n).suffix not in {".png", ".svg", ".jpg"}]


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading id of a Markdown page (repeats get -1, -2 as on GitHub)."""
    found: set[str] = set()
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside and (match := re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)):
            base = github_anchor(match.group(1))
            name, n = base, 0
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return found


def links(page: Path) -> list[str]:
    """The link targets of a Markdown page, outside code blocks and code spans."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [a or b for a, b in LINK.findall(text)]


def broken_link(page: Path, target: str) -> str | None:
    """Why a relative link of ``page`` does not resolve, or None when it does."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
        return None  # https:, mailto: ...
    path_part, _, anchor = target.partition("#")
    dest = (page.parent / path_part).resolve() if path_part else page
    if ROOT not in (dest, *dest.parents):
        return f"{target} leaves the repository"
    if not dest.exists():
        return f"{target} does not exist"
    if anchor and dest.suffix == ".md" and anchor.lower() not in anchors(dest):
        return f"{target}: {dest.name} has no heading #{anchor}"
    return None


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    problems = [p for t in links(page) if (p := broken_link(page, t))]
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


def test_no_shipped_file_points_outside_the_repository() -> None:
    names = {Path(n).name for n in tracked()}
    problems = []
    for path in shipped_texts():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        rel = path.relative_to(ROOT).as_posix()
        for lineno, line in enumerate(text.splitlines(), 1):
            missing = [d for d in PROJECT_DOC.findall(line) if d not in names]
            outside = ABSOLUTE.findall(line) + MACHINE.findall(line)
            problems += [f"{rel}:{lineno}: names {x}, not in the repository" for x in missing]
            problems += [f"{rel}:{lineno}: points outside the repository: {x}" for x in outside]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    page = ROOT / "docs" / "usage.md"
    assert broken_link(page, "../README.md") is None
    assert broken_link(page, "nowhere.md") == "nowhere.md does not exist"
    assert broken_link(page, "../../outside.md") == "../../outside.md leaves the repository"
    assert "has no heading" in (broken_link(page, "../README.md#no-such-heading") or "")
    assert broken_link(page, "https://example.com/x.md") is None
    assert PROJECT_DOC.findall("see NOTES.md and epic-ARCHIVE_SUMMARY.md") == ["NOTES.md"]
    assert ABSOLUTE.findall("in /home/me/limits.md, not /github/workspace") == ["/home/me"]
    assert MACHINE.search("on the 2-core build   machine")
    assert github_anchor("The `results-file` (JSON), step 2") == "the-results-file-json-step-2"
    sample = tmp_path / "x.md"
    sample.write_text("# Title\n## Title\n```\n# not a heading\n```\n", encoding="utf-8")
    assert anchors(sample) == {"title", "title-1"}
