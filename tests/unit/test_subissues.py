"""Sub-issue links: when a child must be linked, decided from facts."""

from __future__ import annotations

from batchsync.subissues import needs_link


def test_needs_link_for_a_child_without_a_parent() -> None:
    assert needs_link(None, 5, written=True)
    assert needs_link(None, 5, written=False)  # a link a cut-off run left missing


def test_needs_no_link_without_a_parent() -> None:
    assert not needs_link(None, None, written=True)


def test_no_link_when_already_under_the_right_parent() -> None:
    assert not needs_link(5, 5, written=True)


def test_moved_child_is_relinked_only_when_written() -> None:
    assert needs_link(4, 5, written=True)
    assert not needs_link(4, 5, written=False)
