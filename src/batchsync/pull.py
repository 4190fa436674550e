"""Two-way status: who wins the open/closed state when GitHub and the file both may have moved.

Pure. The base is what batchsync last wrote: the issue's marker hash covers the title, body,
managed labels and state it wrote, and the body's metadata shows the status word it wrote. When
the issue's title, body and the file's labels still hash to the marker with the state that word
gives, that state is the base, and per field:

=======================  ==================  =================================================
GitHub's state           file's status       result
=======================  ==================  =================================================
as written               any                 the file is the source (the one-way rule)
moved                    as written          GitHub wins: the layout's word goes into the file
moved                    moved, same state   nothing to settle (the one-way rule writes)
moved                    moved, other state  conflict: nothing written on either side
=======================  ==================  =================================================

When the base cannot be proven (a person edited the title or body on GitHub, the file's labels
changed), nothing is pulled: the one-way rule decides, as without pull. Title, body and labels
are never pulled: the file is their source.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum

from batchsync.remote import RemoteIssue
from batchsync.render import RenderedIssue, issue_hash, render, written_status
from batchsync.status import issue_state, pulled_status
from batchsync.workitem import WorkItem

__all__ = ["Pull", "Verdict", "file_changed", "three_way", "written_state"]


class Verdict(Enum):
    """What the three-way comparison of the state found."""

    PUSH = "push"  # GitHub did not move (or the base is unknown): the file decides
    PULL = "pull"  # only GitHub moved: its state goes into the file
    CONFLICT = "conflict"  # both moved, to different states


@dataclasses.dataclass(frozen=True)
class Pull:
    """The verdict, and for a pull the word to write and the issue the pulled file renders."""

    verdict: Verdict
    word: str | None = None
    rendered: RenderedIssue | None = None
    written: str | None = None  # the status word batchsync last wrote (for messages)


def three_way(
    item: WorkItem, issue: RemoteIssue, rendered: RenderedIssue, numbers: Mapping[str, int]
) -> Pull:
    """Settle the state of one item whose issue batchsync owns (found by its marker)."""
    written = written_status(issue.body)
    base = written_state(issue, rendered.labels)
    if base is None:
        return Pull(Verdict.PUSH)  # what was last written cannot be proven: never pull
    if issue.state == base:
        return Pull(Verdict.PUSH)
    if _word(item.status) == _word(written):
        word = pulled_status(item, issue.state)
        if word is None:  # the file reads as GitHub's state already
            return Pull(Verdict.PUSH)
        changed = dataclasses.replace(item, status=word)
        pulled = render(changed, numbers, typed=rendered.typed, blocks=rendered.blocks)
        return Pull(Verdict.PULL, word, pulled, written)
    if issue_state(item.status) == issue.state:
        return Pull(Verdict.PUSH, written=written)  # both moved the same way
    return Pull(Verdict.CONFLICT, written=written)


def written_state(issue: RemoteIssue, labels: tuple[str, ...]) -> str | None:
    """The state batchsync last wrote, when the issue's title and body, with ``labels`` (the
    file's) and the state its Status line gives, hash to its marker; None when unproven.

    A proven issue's body is exactly what batchsync last wrote: its metadata lines are facts.
    """
    state = issue_state(written_status(issue.body))
    proven = issue.marker_hash == issue_hash(issue.title, issue.body, labels, state)
    return state if proven else None


def file_changed(issue: RemoteIssue | None, rendered: RenderedIssue) -> bool:
    """Whether the file changed since batchsync last wrote ``issue``: what it renders now
    (``rendered``) does not hash to the issue's marker. No issue, or one without a marker,
    holds no write of batchsync's.

    The one proof of "the issue holds what the file renders". A change that came from GitHub
    is no file change: a plan asks this of the file before a pull rewrites its status, and of
    no take-back (``plan.decide``).
    """
    return issue is None or issue.marker_hash != rendered.content_hash


def _word(status: str | None) -> str:
    return " ".join((status or "").split()).casefold()
