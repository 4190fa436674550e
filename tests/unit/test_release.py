"""The release machinery: one version, the image action.yml runs, the workflows' shape.

``scripts/release.py`` keeps pyproject.toml, action.yml and CHANGELOG.md in step; the release
workflow refuses a tag they disagree with. These tests hold the files of this commit to that
rule and check the helper on copies.
"""

from __future__ import annotations

import datetime
import importlib.util
import re
import shutil
import sys
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import batchsync

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
# Every page a user reads for how to name the action (the CHANGELOG's past sections may name
# tags of past releases).
USER_DOCS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "SECURITY.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *EXAMPLES,
    *WORKFLOWS,
]
# `owner/batchsync@ref` (a step's uses:), a bare `@vN...` in prose, `ghcr.io/owner/batchsync:tag`.
USES = re.compile(r"([\w.-]+)/batchsync@([\w./-]+)")
BARE_TAG = re.compile(r"(?<![\w/.-])@(v\d[\w.-]*)")
IMAGE = re.compile(r"ghcr\.io/([\w.-]+)/batchsync:([\w.-]+)")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release", ROOT / "scripts" / "release.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


release = _load()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the three files the release helper edits."""
    for name in ("pyproject.toml", "action.yml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _workflow(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_package_reports_the_installed_version() -> None:
    assert batchsync.__version__ == version("batchsync")


def test_action_yml_runs_the_image_of_the_version_in_pyproject() -> None:
    image = release.action_image()
    assert image == release.image_for(release.image_owner(), release.project_version())
    assert image.startswith("docker://ghcr.io/")
    assert image.endswith(":v" + release.project_version())


def test_the_changelog_has_an_unreleased_section_in_keep_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert release.UNRELEASED in text
    assert "keepachangelog.com" in text
    headings = re.findall(r"^### (.+)$", text, re.M)
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert headings
    assert set(headings) <= allowed


def names_of_the_action(text: str) -> list[str]:
    """Every concrete tag ``text`` names for the action or its image (placeholders such as vX,
    vX.Y.Z or <sha> are left out), as ``git:owner:tag`` or ``image:owner:tag``."""
    found = [f"git:{owner}:{ref}" for owner, ref in USES.findall(text)]
    found += [f"git:-:{ref}" for ref in BARE_TAG.findall(text)]
    found += [f"image:{owner}:{tag}" for owner, tag in IMAGE.findall(text)]
    return [name for name in found if re.fullmatch(r"v\d.*|[0-9a-f]{7,40}", name.split(":")[2])]


def test_docs_and_examples_name_only_tags_the_release_of_this_version_makes() -> None:
    made = release.planned()
    owner = release.image_owner()
    allowed = {f"git:{who}:{tag}" for who in (owner, "-") for tag in made.git_tags()}
    allowed |= {f"image:{owner}:{ref.rsplit(':', 1)[1]}" for ref in made.image_tags()}
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in USER_DOCS
        for name in names_of_the_action(path.read_text(encoding="utf-8"))
        if name not in allowed and not re.fullmatch(r"git:[\w.-]+:[0-9a-f]{40}", name)
    ]
    assert wrong == [], f"tags a release of {made.version} does not make: `release.py tags`"


def test_the_tag_finder_sees_each_way_a_doc_names_the_action() -> None:
    text = (
        "uses: batchsync/batchsync@v1\n`@v2`-style tags\nghcr.io/batchsync/batchsync:v3.1\n"
        "uses: actions/checkout@v5 and docker://ghcr.io/o/other:v9\n"
        "placeholders: <owner>/batchsync@vX, ghcr.io/batchsync/batchsync:vX.Y.Z\n"
        "uses: fork/batchsync@" + "a" * 40 + "\n"
    )
    assert names_of_the_action(text) == [
        "git:batchsync:v1",
        "git:fork:" + "a" * 40,
        "git:-:v2",
        "image:batchsync:v3.1",
    ]


def test_the_planned_release_of_this_version_makes_v_major_and_the_exact_tag() -> None:
    made = release.planned()
    version = release.project_version()
    assert made.version == version
    assert made.git_tags() == [f"v{version}", "v" + version.split(".")[0]]
    assert made.image_tags()[0] == release.action_image().removeprefix("docker://")


def test_bump_then_check_makes_a_release(tree: Path) -> None:
    release.bump("2.3.4", "Some-Owner", datetime.date(2027, 1, 2), root=tree)
    assert release.project_version(tree) == "2.3.4"
    assert release.action_image(tree) == "docker://ghcr.io/some-owner/batchsync:v2.3.4"
    assert "## [2.3.4] - 2027-01-02" in (tree / "CHANGELOG.md").read_text(encoding="utf-8")
    assert release.UNRELEASED in (tree / "CHANGELOG.md").read_text(encoding="utf-8")
    made = release.check("v2.3.4", "Some-Owner", root=tree)
    assert made.image_tags() == [
        "ghcr.io/some-owner/batchsync:v2.3.4",
        "ghcr.io/some-owner/batchsync:v2.3",
        "ghcr.io/some-owner/batchsync:v2",
    ]
    assert made.git_tags() == ["v2.3.4", "v2"]  # no v2.3 tag: only an image tag
    assert release.planned(tree) == made
    assert "major=v2\n" in made.outputs()
    assert "prerelease=false\n" in made.outputs()
    assert release.changelog_section("2.3.4", tree).startswith("### Added")


def test_a_prerelease_pushes_only_its_own_image_tag(tree: Path) -> None:
    release.bump("2.0.0-rc.1", "o", datetime.date(2027, 1, 2), root=tree)
    made = release.check("v2.0.0-rc.1", "o", root=tree)
    assert made.prerelease
    assert made.image_tags() == ["ghcr.io/o/batchsync:v2.0.0-rc.1"]
    assert made.git_tags() == ["v2.0.0-rc.1"]


@pytest.mark.parametrize(
    ("tag", "owner", "says"),
    [
        ("v1", "batchsync", "not a release tag"),  # the moving major tag starts no release
        ("1.0.0", "batchsync", "not a release tag"),
        ("v9.9.9", "batchsync", "pyproject.toml says version"),
        ("v9.9.9", "batchsync", "CHANGELOG.md has no section"),
    ],
)
def test_check_refuses_a_tag_the_files_do_not_match(
    tree: Path, tag: str, owner: str, says: str
) -> None:
    with pytest.raises(release.ReleaseError, match=says):
        release.check(tag, owner, root=tree)


def test_check_refuses_a_fork_whose_action_names_another_owners_image(tree: Path) -> None:
    release.bump("1.2.3", "batchsync", datetime.date(2027, 1, 2), root=tree)
    with pytest.raises(release.ReleaseError, match=re.escape("ghcr.io/fork/batchsync:v1.2.3")):
        release.check("v1.2.3", "fork", root=tree)


def test_the_release_workflow_publishes_what_the_docs_promise() -> None:
    data = _workflow(ROOT / ".github" / "workflows" / "release.yml")
    assert data[True] == {"push": {"tags": ["v*"]}}  # YAML reads the key `on` as True
    jobs = data["jobs"]
    assert isinstance(jobs, dict)
    assert jobs["image"]["permissions"]["packages"] == "write"
    build = next(s for s in jobs["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["with"]["push"] is True
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert any("pypa/gh-action-pypi-publish" in s.get("uses", "") for s in jobs["pypi"]["steps"])
    # The major tag moves last: after the image it names can be pulled without a login, and the
    # PyPI upload exists.
    assert {"image", "public", "pypi"} <= set(jobs["publish"]["needs"])
    assert "public" in jobs["pypi"]["needs"]
    assert jobs["public"]["permissions"] == {}  # no token: pulls as any workflow does
    assert "docker buildx imagetools inspect" in jobs["public"]["steps"][0]["run"]
    assert any(
        'git push --force origin "refs/tags/$MAJOR"' in s.get("run", "")
        for s in jobs["publish"]["steps"]
    )


def test_ci_runs_the_projects_own_check_script() -> None:
    data = _workflow(ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(data[True])
    runs = [s.get("run", "") for job in data["jobs"].values() for s in job["steps"]]
    assert "bash .ci/run" in runs


@pytest.mark.parametrize("path", WORKFLOWS + EXAMPLES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_major_version(path: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
    for ref in uses:
        if ref.startswith(("./", "docker://")):
            continue
        _, _, pin = ref.partition("@")
        # pypa/gh-action-pypi-publish names its major line release/v1: no vN tag moves there.
        assert re.fullmatch(r"v\d+|release/v\d+", pin), f"{path.name}: {ref} is not pinned by major"


def test_dependabot_watches_pip_docker_and_actions() -> None:
    data = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert {u["package-ecosystem"] for u in data["updates"]} == {"pip", "docker", "github-actions"}


def test_the_dockerfile_takes_its_base_as_a_build_argument() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # The base image is written once, on a FROM line Dependabot can read; every stage that is
    # built starts from BASE_IMAGE, which defaults to that stage.
    assert re.search(r"^ARG BASE_IMAGE=python-base$", text, re.M)
    froms = re.findall(r"^FROM (\S+)(?: AS (\S+))?$", text, re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", froms[0][0])
    assert froms[0][1] == "python-base"
    assert [f for f, _ in froms[1:]] == ["${BASE_IMAGE}", "${BASE_IMAGE}"]
    script = (ROOT / "scripts" / "container-test.sh").read_text(encoding="utf-8")
    assert '--build-arg "BASE_IMAGE=$base"' in script
    assert "base=localhost/batchsync-test-base:" in script


def test_ci_says_what_it_will_install_before_installing_anything() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run.index("installs the system packages") < run.index("pip install")
    script = (ROOT / "scripts" / "container-test.sh").read_text(encoding="utf-8")
    assert script.index('echo "installing system packages with apt-get') < script.index(
        "apt-get update"
    )
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "installs the system packages buildah, podman, runc and mmdebstrap" in readme
