"""Release helper: keeps the version, action.yml's image and CHANGELOG.md in step.

The version lives in one place, ``pyproject.toml``; the package reads it back through
``importlib.metadata``. action.yml names the prebuilt image of that same version
(``docker://ghcr.io/<owner>/batchsync:v<version>``), so every tag runs exactly the image built from
it. Three commands:

- ``bump X.Y.Z``: the release commit's edits (pyproject version, action.yml image, the
  CHANGELOG's Unreleased section becoming ``[X.Y.Z] - <date>``);
- ``check vX.Y.Z --owner OWNER``: the release workflow's first step; refuses a tag that does not
  match the files, prints ``key=value`` lines for ``GITHUB_OUTPUT``;
- ``notes X.Y.Z``: the CHANGELOG section of a version, for the GitHub release;
- ``tags``: the tags the release of the version in pyproject.toml would make, the git tags a
  workflow's ``uses:`` may name, then the image tags (the docs name only these).

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "ghcr.io"
IMAGE_NAME = "batchsync"
# A release tag: v + semantic version, optionally a pre-release (v1.2.0-rc.1). A bare major tag
# (v1) is moved by the release itself and never starts one.
TAG = re.compile(
    r"^v(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(?P<pre>-[0-9A-Za-z.-]+)?$"
)
IMAGE_LINE = re.compile(r"^(?P<indent>\s+image:\s*)(?P<ref>\S+)\s*$", re.MULTILINE)
VERSION_LINE = re.compile(r'^version\s*=\s*"(?P<version>[^"]+)"\s*$', re.MULTILINE)
UNRELEASED = "## [Unreleased]"


class ReleaseError(Exception):
    """The files and the tag disagree; the message says what to change."""


@dataclass(frozen=True)
class Release:
    """What one tag publishes."""

    version: str
    image: str  # registry/owner/name, without a tag
    prerelease: bool

    @property
    def major(self) -> str:
        """The moving major tag (v1)."""
        return "v" + self.version.split(".")[0]

    @property
    def minor(self) -> str:
        """The moving minor tag (v1.2)."""
        return "v" + ".".join(self.version.split(".")[:2])

    def git_tags(self) -> list[str]:
        """Tags a workflow's ``uses:`` may name after this release: vX.Y.Z, the tag that starts
        it, and vX, which it moves, unless a pre-release (no vX.Y tag is made)."""
        tag = f"v{self.version}"
        return [tag] if self.prerelease else [tag, self.major]

    def image_tags(self) -> list[str]:
        """Image references to push: vX.Y.Z, and vX.Y and vX unless a pre-release."""
        tags = (
            [f"v{self.version}"]
            if self.prerelease
            else [f"v{self.version}", self.minor, self.major]
        )
        return [f"{self.image}:{tag}" for tag in tags]

    def outputs(self) -> str:
        """``key=value`` lines for ``GITHUB_OUTPUT``."""
        values = {
            "version": self.version,
            "image": self.image,
            "image-tags": ",".join(self.image_tags()),
            "major": self.major,
            "prerelease": str(self.prerelease).lower(),
        }
        return "".join(f"{key}={value}\n" for key, value in values.items())


def project_version(root: Path = ROOT) -> str:
    """The version in pyproject.toml: the one place it is written."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def action_image(root: Path = ROOT) -> str:
    """The image reference in action.yml's ``runs.image``."""
    found = IMAGE_LINE.findall((root / "action.yml").read_text(encoding="utf-8"))
    if len(found) != 1:
        raise ReleaseError("action.yml: expected exactly one `image:` line under `runs:`")
    return str(found[0][1])


def image_for(owner: str, version: str) -> str:
    """The reference action.yml must name for ``version`` published by ``owner``."""
    return f"docker://{REGISTRY}/{owner.lower()}/{IMAGE_NAME}:v{version}"


def changelog_section(version: str, root: Path = ROOT) -> str:
    """The body of CHANGELOG.md's section for ``version`` (empty when there is none)."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    match = re.search(
        rf"^## \[{re.escape(version)}\][^\n]*\n(?P<body>.*?)(?=^## |^\[[^\]]+\]: |\Z)",
        text,
        re.MULTILINE | re.DOTALL,
    )
    return match.group("body").strip() if match else ""


def check(tag: str, owner: str, root: Path = ROOT) -> Release:
    """The release a tag makes; ReleaseError when the tag and the files disagree."""
    match = TAG.match(tag)
    if match is None:
        raise ReleaseError(f"{tag!r} is not a release tag: vMAJOR.MINOR.PATCH[-pre]")
    version = tag[1:]
    problems = []
    if project_version(root) != version:
        problems.append(
            f"pyproject.toml says version {project_version(root)!r}, the tag {tag!r}: "
            f"run `python scripts/release.py bump {version}` and tag that commit"
        )
    expected = image_for(owner, version)
    if action_image(root) != expected:
        problems.append(
            f"action.yml runs image {action_image(root)!r}; a {tag} release needs {expected!r}"
        )
    if not changelog_section(version, root):
        problems.append(f"CHANGELOG.md has no section `## [{version}]`")
    if problems:
        raise ReleaseError("; ".join(problems))
    return planned(root)  # the files now say exactly what the tag does


def planned(root: Path = ROOT) -> Release:
    """The release that tagging the version in pyproject.toml would make, with action.yml's
    image (before CHANGELOG.md has its section)."""
    version = project_version(root)
    match = TAG.match("v" + version)
    if match is None:
        raise ReleaseError(f"pyproject.toml: {version!r} is not MAJOR.MINOR.PATCH[-pre]")
    image = action_image(root).removeprefix("docker://").rsplit(":", 1)[0]
    return Release(version=version, image=image, prerelease=match.group("pre") is not None)


def bump(version: str, owner: str, today: datetime.date, root: Path = ROOT) -> None:
    """Write ``version`` into pyproject.toml, action.yml and CHANGELOG.md: the release commit."""
    if TAG.match("v" + version) is None:
        raise ReleaseError(f"{version!r} is not a version: MAJOR.MINOR.PATCH[-pre]")
    pyproject = root / "pyproject.toml"
    text, count = VERSION_LINE.subn(
        f'version = "{version}"', pyproject.read_text(encoding="utf-8"), 1
    )
    if count != 1:
        raise ReleaseError('pyproject.toml: no `version = "..."` line')
    pyproject.write_text(text, encoding="utf-8")
    action = root / "action.yml"
    action.write_text(
        IMAGE_LINE.sub(
            lambda m: m.group("indent") + image_for(owner, version),
            action.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    if UNRELEASED not in text:
        raise ReleaseError(f"CHANGELOG.md has no `{UNRELEASED}` section to release")
    heading = f"{UNRELEASED}\n\n## [{version}] - {today.isoformat()}"
    changelog.write_text(text.replace(UNRELEASED, heading, 1), encoding="utf-8")


def image_owner(root: Path = ROOT) -> str:
    """The owner of the image action.yml names (ghcr.io/<owner>/batchsync)."""
    ref = action_image(root).removeprefix("docker://")
    parts = ref.split("/")
    if len(parts) != 3 or parts[0] != REGISTRY:
        raise ReleaseError(f"action.yml: {ref!r} is not {REGISTRY}/<owner>/{IMAGE_NAME}:<tag>")
    return parts[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 with one message when the files disagree."""
    parser = argparse.ArgumentParser(prog="scripts/release.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bump_cmd = commands.add_parser("bump", help="write a new version into every file that names it")
    bump_cmd.add_argument("version")
    bump_cmd.add_argument("--owner", help="image owner (default: the one action.yml names)")
    check_cmd = commands.add_parser("check", help="check a tag against the files; print outputs")
    check_cmd.add_argument("tag")
    check_cmd.add_argument(
        "--owner", required=True, help="the repository owner (GITHUB_REPOSITORY_OWNER)"
    )
    notes_cmd = commands.add_parser("notes", help="print the CHANGELOG section of a version")
    notes_cmd.add_argument("version")
    commands.add_parser("tags", help="print the tags releasing pyproject's version would make")
    args = parser.parse_args(argv)
    try:
        if args.command == "bump":
            bump(args.version, args.owner or image_owner(), datetime.date.today())
        elif args.command == "check":
            sys.stdout.write(check(args.tag, args.owner).outputs())
        elif args.command == "tags":
            made = planned()
            sys.stdout.write("".join(f"{tag}\n" for tag in made.git_tags() + made.image_tags()))
        else:
            notes = changelog_section(args.version)
            if not notes:
                raise ReleaseError(f"CHANGELOG.md has no section `## [{args.version}]`")
            sys.stdout.write(notes + "\n")
    except ReleaseError as error:
        sys.stderr.write(f"release: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
