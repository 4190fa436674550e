"""Render a work item as a GitHub issue (title, labels, body, state) and read the hidden marker.

Pure and deterministic: the same item and the same known issue numbers always give the same
issue, byte for byte. The body ends with the marker, the issue's identity::

    <!-- batchsync key=<item key> ns=<the tree's namespace> hash=<16 hex>[ typed] -->

(key and namespace percent-encoded; ``batchsync.marker`` says every token)

The hash covers the rendered title, the body without the marker, the managed labels and the
open/closed state, never the ``typed`` token (the issue has had an issue type: ``typed``). An
item is written to GitHub only when this hash differs from the one in the marker on GitHub (see
``batchsync.plan`` for the conflict rule).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from batchsync.errors import ItemError
from batchsync.marker import (
    MARKER_RE,
    REMOVED,
    Marker,
    format_marker,
    parse_marker,
    strip_marker,
    with_typed,
)
from batchsync.status import CLOSED_STATUSES, issue_state
from batchsync.workitem import Kind, WorkItem

__all__ = [
    "BODY_LIMIT",
    "CLOSED_STATUSES",
    "KIND_LABELS",
    "LABELS_LIMIT",
    "LABEL_LIMIT",
    "PRIORITY_PREFIX",
    "TITLE_LIMIT",
    "Marker",
    "RenderedIssue",
    "check_limits",
    "close_comment",
    "code_span",
    "format_marker",
    "is_managed_label",
    "issue_hash",
    "labels_of",
    "marked_typed",
    "parse_marker",
    "render",
    "restate",
    "strip_marker",
    "written_blockers",
    "written_status",
]

# GitHub's limits on what an issue may hold, checked on the rendered issue (docs/formats.md
# names the source of each). A scan renders every item, so `validate` reports them too.
BODY_LIMIT = 65_536  # characters of the body: 422 "body is too long (maximum is 65536 characters)"
TITLE_LIMIT = 256  # characters of the title, prefix included: 422 "title is too long (...256...)"
LABEL_LIMIT = 50  # characters of a label name: 422 "name is too long (maximum is 50 characters)"
LABELS_LIMIT = 100  # labels on one issue: 422 "Issues cannot have more than 100 labels"
KIND_LABELS = frozenset(k.value for k in Kind)
PRIORITY_PREFIX = "priority:"
_STATUS_LINE = "- **Status:** "  # the first metadata line when the item has a status
_PRIORITY_LINE = "- **Priority:** "
_PARENT_LINE = "- **Parent:** "
_HOURS_LINE = "- **Estimated hours:** "
# The dependencies line: "Blocked by" when batchsync makes them GitHub's blocked-by relationships
# (``blocked-by: true``), so the body batchsync wrote says which ones it set (``blockers``).
_DEPENDENCIES_LINE = "- **Dependencies:** "
_BLOCKED_BY_LINE = "- **Blocked by:** "
# The metadata lines in the order ``_meta`` writes them (each one optional, at most once): the
# one shape ``_written_meta`` reads back.
_META_LINES = (
    (_STATUS_LINE,),
    (_PRIORITY_LINE,),
    (_PARENT_LINE,),
    (_HOURS_LINE,),
    (_DEPENDENCIES_LINE, _BLOCKED_BY_LINE),
)
_REFERENCE_SEPARATOR = ", "
_NUMBER_REF = re.compile(r"#[0-9]{1,12}")  # an issue reference as written (ASCII digits only)


@dataclass(frozen=True)
class RenderedIssue:
    """What an item looks like on GitHub; ``body`` includes the marker as its last line."""

    key: str
    title: str
    body: str
    labels: tuple[str, ...]
    state: str  # "open" or "closed"
    content_hash: str
    typed: bool = False  # the marker's ``typed`` token: the issue has had an issue type
    namespace: str = ""  # the tree the marker names ("": none)
    blocks: bool = False  # dependencies rendered as the "Blocked by" line (``blocked-by: true``)

    @property
    def state_reason(self) -> str | None:
        """GitHub's reason when the item closes the issue (``completed``), else None."""
        return "completed" if self.state == "closed" else None


def is_managed_label(name: str) -> bool:
    """True for the labels batchsync derives from the item (kind, ``priority:*``)."""
    lowered = name.lower()
    return lowered in KIND_LABELS or lowered.startswith(PRIORITY_PREFIX)


def render(
    item: WorkItem, numbers: Mapping[str, int], *, typed: bool = False, blocks: bool = False
) -> RenderedIssue:
    """Render ``item``; ``numbers`` maps item keys to issue numbers known so far.

    ``typed`` puts the ``typed`` token in the marker (the plan's ``marks_typed``); ``blocks``
    names the dependencies in a "Blocked by" line (``blocked-by: true``).

    Raises ``ItemError`` (with the field's line) when the issue would break one of GitHub's
    limits: title, label and body lengths, the number of labels, a NUL character.
    """
    title, labels, state, text = _parts(item, numbers, blocks)
    content_hash = _hash(title, text, labels, state)
    body = f"{text}\n\n{_marker(item.key, content_hash, typed, item.namespace)}"
    # measured with the longest marker: an issue typed, or closed as removed, later must fit
    longest = len(text) + 2 + len(_longest_marker(item, content_hash))
    _check_limits(item, title, labels, longest)
    return RenderedIssue(
        item.key, title, body, labels, state, content_hash, typed, item.namespace, blocks
    )


def _marker(key: str, content_hash: str, typed: bool, namespace: str) -> str:
    return format_marker(key, content_hash, typed=typed, namespace=namespace)


def _longest_marker(item: WorkItem, content_hash: str) -> str:
    """The longest marker ``item``'s issue may carry: typed, and flagged as closed."""
    return format_marker(item.key, content_hash, typed=True, namespace=item.namespace, flag=REMOVED)


def marked_typed(rendered: RenderedIssue, flag: bool) -> RenderedIssue:
    """The same issue with the marker's ``typed`` token set to ``flag``; the hash is the same."""
    if rendered.typed is flag:
        return rendered
    return dataclasses.replace(rendered, body=with_typed(rendered.body, flag), typed=flag)


def check_limits(item: WorkItem, numbers: Mapping[str, int]) -> None:
    """Raise what ``render`` would raise for ``item``, without hashing (the scan's check)."""
    title = f"{item.kind.prefix} {_one_line(item.title)}"
    meta = "\n".join(_meta(item, numbers))
    marker = _longest_marker(item, "0" * 16)  # the longest marker it may get
    # The body is at most the file's body, the metadata and the separators ("\n\n---\n\n" and
    # "\n\n" before the marker): the exact text is only built when that could be too long.
    length = len(meta) + 7 + len(item.body) + 2 + len(marker)
    if length > BODY_LIMIT:
        length = len(_body_text(item, numbers)) + 2 + len(marker)
    _check_limits(item, title, labels_of(item), length)


def _parts(
    item: WorkItem, numbers: Mapping[str, int], blocks: bool
) -> tuple[str, tuple[str, ...], str, str]:
    """The rendered title, labels, state and body text (the body without its marker)."""
    title = f"{item.kind.prefix} {_one_line(item.title)}"
    state = issue_state(item.status)
    return title, labels_of(item), state, _body_text(item, numbers, blocks)


def _check_limits(item: WorkItem, title: str, labels: tuple[str, ...], body_length: int) -> None:
    """Raise ``ItemError`` for the first of GitHub's limits the rendered issue breaks."""
    problem = _nul_problem(item) or _label_problem(item, labels)
    if problem is None and len(title) > TITLE_LIMIT:
        problem = (
            item.title_line,
            (
                f"the issue title would be {len(title):,} characters with its {item.kind.prefix} "
                f"prefix; GitHub accepts at most {TITLE_LIMIT}: shorten the title"
            ),
        )
    if problem is None and body_length > BODY_LIMIT:
        problem = (
            item.body_line,
            (
                f"the issue body would be {body_length:,} characters; GitHub accepts at most "
                f"{BODY_LIMIT:,}: shorten the file or split it into several items"
            ),
        )
    if problem is not None:
        raise ItemError(item.path, problem[0], problem[1], key=item.key)


def _line(item: WorkItem, *names: str) -> int | None:
    return next((line for n in names if (line := item.line_of(n)) is not None), None)


def _nul_problem(item: WorkItem) -> tuple[int | None, str] | None:
    """A NUL character (from a YAML escape such as ``"\\0"``) in a field the issue shows."""
    fields = {
        "title": (item.title, ("title", "name")),  # a heading cannot hold a NUL: decode refuses
        "status": (item.status or "", ("status",)),
        "priority": (item.priority or "", ("priority",)),
        "labels": ("".join(item.labels), ("labels",)),
    }
    for name, (value, lines) in fields.items():
        if "\0" in value:
            return _line(item, *lines), f"`{name}` holds a NUL character (\\0): remove it"
    return None


def _label_problem(item: WorkItem, labels: tuple[str, ...]) -> tuple[int | None, str] | None:
    """A label name over GitHub's length limit, or more labels than an issue may carry."""
    for label in labels:
        if len(label) > LABEL_LIMIT:
            made = label.startswith(PRIORITY_PREFIX) and label not in item.labels
            field = "priority" if made else "labels"
            return item.line_of(field), (
                f"label {label[:60]!r} is {len(label):,} characters; GitHub accepts at most "
                f"{LABEL_LIMIT}: shorten `{field}`"
            )
    if len(labels) > LABELS_LIMIT:
        return item.line_of("labels"), (
            f"the issue would carry {len(labels):,} labels; GitHub accepts at most "
            f"{LABELS_LIMIT} on one issue: list fewer `labels`"
        )
    return None


def restate(rendered: RenderedIssue, state: str) -> RenderedIssue:
    """The same issue in another open/closed state, with the hash that goes with it.

    A create cannot set the state, so an item that starts closed is created with the open
    variant's marker and then closed with its own: a run cut off in between sees a hash
    mismatch and finishes the job.
    """
    text = rendered.body.rsplit("\n\n", 1)[0]
    content_hash = _hash(rendered.title, text, rendered.labels, state)
    marker = _marker(rendered.key, content_hash, rendered.typed, rendered.namespace)
    body = f"{text}\n\n{marker}"
    return dataclasses.replace(rendered, body=body, state=state, content_hash=content_hash)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def labels_of(item: WorkItem) -> tuple[str, ...]:
    """The labels ``item`` renders (kind, priority, its own), as its marker's hash covers them."""
    wanted = [item.kind.value]
    if item.priority and item.priority.strip():
        wanted.append(PRIORITY_PREFIX + "-".join(item.priority.strip().lower().split()))
    wanted.extend(label.strip() for label in item.labels if label.strip())
    seen: set[str] = set()
    out: list[str] = []
    for label in wanted:  # GitHub compares label names case-insensitively
        if label.lower() not in seen:
            seen.add(label.lower())
            out.append(label)
    return tuple(out)


def _reference(ref: str, numbers: Mapping[str, int]) -> str:
    if _NUMBER_REF.fullmatch(ref):  # the one shape ``written_blockers`` reads as a number
        return ref
    number = numbers.get(ref)
    return f"#{number}" if number is not None else code_span(ref)


def _hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _meta(item: WorkItem, numbers: Mapping[str, int], blocks: bool = False) -> list[str]:
    """The metadata lines above the body: status, priority, parent, estimate, dependencies."""
    meta: list[str] = []
    if item.status:
        meta.append(_STATUS_LINE + _one_line(item.status))
    if item.priority:
        meta.append(_PRIORITY_LINE + _one_line(item.priority))
    if item.parent_key:
        meta.append(_PARENT_LINE + _reference(item.parent_key, numbers))
    if item.estimated_hours is not None:
        meta.append(_HOURS_LINE + _hours(item.estimated_hours))
    if item.dependencies:
        refs = _REFERENCE_SEPARATOR.join(_reference(d, numbers) for d in item.dependencies)
        meta.append(f"{_BLOCKED_BY_LINE if blocks else _DEPENDENCIES_LINE}{refs}")
    return meta


def _body_text(item: WorkItem, numbers: Mapping[str, int], blocks: bool = False) -> str:
    meta = _meta(item, numbers, blocks)
    content = item.body.replace("\r\n", "\n").strip("\n").rstrip()
    # A marker-looking line inside the file must not be taken for the issue's identity.
    marked = "<!-- batchsync " in content and MARKER_RE.search(content) is not None  # fast path
    content = strip_marker(content) if marked else content
    parts = ["\n".join(meta), "---", content] if meta else ["---", content]
    return "\n\n".join(p for p in parts if p)


def _hash(title: str, text: str, labels: tuple[str, ...], state: str) -> str:
    canonical = json.dumps(
        [title, text, sorted(label.lower() for label in labels), state],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def close_comment(key: str) -> str:
    """The comment batchsync leaves on an issue it closed because its item was removed."""
    return (
        f"Closed as not planned by batchsync: the work item {code_span(key)} no longer exists "
        "in the synced tree."
    )


_BACKTICKS = re.compile(r"`+")


def code_span(text: str) -> str:
    """``text`` as one inert Markdown code span, whatever it holds (a key comes from a path).

    CommonMark: a span ends at a run of backticks as long as its fence, so the fence is longer
    than any run inside; a space pads a text that starts or ends with a backtick or a space
    (one is stripped from each side, unless all are spaces). Line breaks and other control
    characters become spaces, so a blank line cannot end the paragraph; an ``@`` gets a word
    joiner after it, so no rendering can turn it into a mention.
    """
    shown = "".join(c if c.isprintable() else " " for c in text).replace("@", "@\u2060") or " "
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    edge = shown[0] in "` " or shown[-1] in "` "
    pad = " " if edge and shown.strip(" ") else ""  # a span of spaces only is never stripped
    return f"{fence}{pad}{shown}{pad}{fence}"


def written_status(body: str) -> str | None:
    """The status an issue body batchsync wrote shows in its metadata, or None when it has none.

    Only the metadata block batchsync writes (``_written_meta``) is read, so a person's text in
    the body can never be taken for it.
    """
    return _written_meta(body).get(_STATUS_LINE)


def written_blockers(body: str) -> frozenset[int]:
    """The issue numbers the body's "Blocked by" line names (none without that line).

    Only the entries that are exactly an issue reference the renderer wrote (``#N``) count: a
    code span (a dependency batchsync could not number) is inert text whatever it holds, and a
    line that is not a list of such entries names none. A body written with ``blocked-by`` off
    has a "Dependencies" line instead: it names no relationship batchsync set.
    """
    entries = _references(_written_meta(body).get(_BLOCKED_BY_LINE, ""))
    return frozenset(int(e[1:]) for e in entries if _NUMBER_REF.fullmatch(e))


def written_references(body: str) -> frozenset[int]:
    """The issue numbers the body's metadata names (``#N``): its parent and its dependencies,
    read as ``written_blockers`` reads its blockers."""
    meta = _written_meta(body)
    starts = (_PARENT_LINE, _DEPENDENCIES_LINE, _BLOCKED_BY_LINE)
    entries = [e for start in starts for e in _references(meta.get(start, ""))]
    return frozenset(int(e[1:]) for e in entries if _NUMBER_REF.fullmatch(e))


def _written_meta(body: str) -> dict[str, str]:
    """The metadata lines at the top of ``body``, by their start, when they are exactly the
    lines ``_meta`` writes (known starts, in order, each at most once) followed by the ``---``
    rule; empty otherwise: a body batchsync did not shape this way names nothing."""
    head, rule, _ = body.partition("\n\n---\n")
    if not rule or not head:
        return {}
    found: dict[str, str] = {}
    positions = iter(_META_LINES)  # shared: a line may only follow the ones before it
    for line in head.split("\n"):
        start = next(
            (s for starts in positions for s in starts if line.startswith(s)),
            None,
        )
        if start is None:
            return {}
        found[start] = line[len(start) :]
    return found


def _references(value: str) -> tuple[str, ...]:
    """The entries of a references line ``_meta`` wrote (each ``#N`` or one code span, joined
    by ", "); empty when ``value`` is not exactly such a list."""
    entries: list[str] = []
    rest = value
    while rest:
        entry = _reference_entry(rest)
        if entry is None:
            return ()
        entries.append(entry)
        rest = rest[len(entry) :]
        if rest:
            if not rest.startswith(_REFERENCE_SEPARATOR) or rest == _REFERENCE_SEPARATOR:
                return ()
            rest = rest[len(_REFERENCE_SEPARATOR) :]
    return tuple(entries)


def _reference_entry(text: str) -> str | None:
    """The ``#N`` or code span ``text`` starts with (as ``_reference`` writes them), or None."""
    number = _NUMBER_REF.match(text)
    if number is not None:
        return number.group()
    fence = _BACKTICKS.match(text)
    if fence is None:
        return None
    # code_span's fence is longer than any run of backticks inside: the first run at least
    # as long closes it, and must be exactly as long.
    for run in _BACKTICKS.finditer(text, fence.end()):
        if len(run.group()) >= len(fence.group()):
            return text[: run.end()] if run.group() == fence.group() else None
    return None


def issue_hash(title: str, body: str, labels: tuple[str, ...], state: str) -> str:
    """The marker hash of an issue holding exactly this title, body, labels and state."""
    return _hash(title, strip_marker(body), labels, state)
