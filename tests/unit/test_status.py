"""The status vocabulary: which words close an issue, and which word a pull writes back."""

from __future__ import annotations

import pytest

from batchsync import render, status
from batchsync.status import (
    CLOSED_STATUSES,
    DONE_WORDS,
    OPEN_WORDS,
    done_word,
    is_closed_status,
    issue_state,
    open_word,
    pulled_status,
)
from batchsync.workitem import Kind, Layout, WorkItem

EVERY = [(layout, kind) for layout in Layout for kind in Kind]


def item(layout: Layout, kind: Kind, file_status: str | None) -> WorkItem:
    return WorkItem(kind, "k", "T", "p.md", layout, status=file_status)


def test_rendering_reads_the_one_closed_rule() -> None:
    assert render.CLOSED_STATUSES is status.CLOSED_STATUSES
    assert {"completed", "complete", "closed", "done"} == CLOSED_STATUSES


@pytest.mark.parametrize("word", [" Done ", "CLOSED", "completed", "Complete"])
def test_a_closed_like_word_in_any_case_closes_the_issue(word: str) -> None:
    assert is_closed_status(word)
    assert issue_state(word) == "closed"
    rendered = render.render(item(Layout.LOCAL, Kind.TASK, word), {})
    assert rendered.state == "closed"


@pytest.mark.parametrize("word", [None, "", "open", "in-progress", "finished", "closed later"])
def test_any_other_status_keeps_the_issue_open(word: str | None) -> None:
    assert issue_state(word) == "open"


def test_every_layout_and_kind_has_a_done_word_and_an_open_word() -> None:
    assert set(DONE_WORDS) == set(EVERY) == set(OPEN_WORDS)


@pytest.mark.parametrize(("layout", "kind"), EVERY)
def test_a_pulled_word_renders_the_state_it_was_pulled_from(layout: Layout, kind: Kind) -> None:
    # A done word that rendered open would reopen the issue on the next push: a loop.
    assert issue_state(done_word(layout, kind)) == "closed"
    assert issue_state(open_word(layout, kind)) == "open"


@pytest.mark.parametrize(
    ("layout", "kind", "expected"),
    [
        (Layout.LOCAL, Kind.TASK, ("completed", "in_progress")),
        (Layout.LOCAL, Kind.EPIC, ("completed", "in_progress")),
        (Layout.LOCAL, Kind.PRD, ("completed", "in_progress")),
        (Layout.CCPM, Kind.TASK, ("closed", "open")),
        (Layout.CCPM, Kind.EPIC, ("completed", "in-progress")),
        (Layout.CCPM, Kind.PRD, ("complete", "in-progress")),
    ],
)
def test_each_layout_writes_its_own_tools_words(
    layout: Layout, kind: Kind, expected: tuple[str, str]
) -> None:
    assert (done_word(layout, kind), open_word(layout, kind)) == expected


@pytest.mark.parametrize(
    ("layout", "kind", "file_status", "state", "expected"),
    [
        # Closed on GitHub: a file that reads open gets the done word.
        (Layout.LOCAL, Kind.TASK, "pending", "closed", "completed"),
        (Layout.LOCAL, Kind.TASK, "in_progress", "closed", "completed"),
        (Layout.LOCAL, Kind.TASK, None, "closed", "completed"),
        (Layout.CCPM, Kind.TASK, "open", "closed", "closed"),
        (Layout.CCPM, Kind.EPIC, "in-progress", "closed", "completed"),
        (Layout.CCPM, Kind.PRD, "backlog", "closed", "complete"),
        # ... and one that already reads closed keeps its own word.
        (Layout.LOCAL, Kind.TASK, "completed", "closed", None),
        (Layout.CCPM, Kind.TASK, "Done", "closed", None),
        # Reopened on GitHub: a done file gets the open word.
        (Layout.LOCAL, Kind.EPIC, "completed", "open", "in_progress"),
        (Layout.CCPM, Kind.TASK, "closed", "open", "open"),
        (Layout.CCPM, Kind.EPIC, "completed", "open", "in-progress"),
        (Layout.CCPM, Kind.PRD, "complete", "open", "in-progress"),
        # ... and one that already reads open is not rewritten.
        (Layout.CCPM, Kind.TASK, "in-progress", "open", None),
        (Layout.LOCAL, Kind.TASK, "pending", "open", None),
        (Layout.CCPM, Kind.TASK, None, "open", None),
    ],
)
def test_pulled_status(
    layout: Layout, kind: Kind, file_status: str | None, state: str, expected: str | None
) -> None:
    assert pulled_status(item(layout, kind, file_status), state) == expected


@pytest.mark.parametrize("state", ["OPEN", "merged", "", "closed "])
def test_pulled_status_refuses_a_state_that_is_not_open_or_closed(state: str) -> None:
    with pytest.raises(ValueError, match="'open' or 'closed'"):
        pulled_status(item(Layout.LOCAL, Kind.TASK, "pending"), state)
