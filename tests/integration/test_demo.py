"""``batchsync demo`` end to end: the in-thread emulator, the sample tree, two runs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from batchsync import demo

README = Path(__file__).resolve().parents[2] / "README.md"
COUNTS = re.compile(r"^requests to the emulator: (\d+), of which writes: (\d+)$", re.MULTILINE)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run_demo(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = demo.main(list(argv), stdout=out)
    return code, out.getvalue()


def test_demo_creates_everything_then_writes_nothing(tmp_path: Path) -> None:
    code, text = run_demo("--workspace", str(tmp_path / "ws"))
    assert code == 0, text
    first, second = text.split("Second run", 1)
    assert "13 created" in first
    assert "13 unchanged" in second
    assert second.count("of which writes: 0") == 1
    assert text.rstrip().endswith("demo done.")


def test_the_readme_gives_the_counts_the_demo_prints(tmp_path: Path) -> None:
    code, text = run_demo("--workspace", str(tmp_path / "ws"))
    assert code == 0, text
    (first, first_writes), (second, second_writes) = COUNTS.findall(text)
    created = re.search(r"^batchsync: (\d+) items in \S+: \1 created", text, re.MULTILINE)
    assert created is not None, text
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert f"{created.group(1)} work items" in readme
    assert f"creates {created.group(1)} issues" in readme
    assert f"in {first} requests, {first_writes} of them writes" in readme
    assert second_writes == "0"
    assert f"writes nothing ({second} request" in readme


def test_demo_leaves_the_example_tree_as_it_was(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert run_demo("--workspace", str(workspace))[0] == 0
    assert tree(workspace / ".claude") == tree(demo.SAMPLE_TREE)


def test_demo_ignores_a_real_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_real_token_that_must_not_be_used")
    monkeypatch.setenv("INPUT_REPOSITORY", "someone/else")
    code, text = run_demo()
    assert code == 0
    assert "ghp_real" not in text
    assert "someone/else" not in text


def test_demo_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert run_demo("--workspace", str(tmp_path))[0] == 2
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_demo_refuses_a_scale_of_zero() -> None:
    assert run_demo("--scale", "0")[0] == 2
