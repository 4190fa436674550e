"""GitHub Actions workflow commands and ``GITHUB_OUTPUT`` entries, as strings; pure, no I/O.

Every ``::command::`` batchsync prints is built here, so escaping lives in one place. GitHub's
rules (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands):
the message ("data") escapes ``%``, CR and LF; property values also escape ``:`` and ``,``.
Escaping ``%`` first keeps the other escapes unambiguous.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

__all__ = [
    "add_mask",
    "command",
    "endgroup",
    "error",
    "escape_data",
    "escape_property",
    "group",
    "log_text",
    "notice",
    "output_entry",
    "warning",
]

_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, CR and LF."""
    for raw, escaped in _DATA_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def escape_property(text: str) -> str:
    """Escape a command property's value: ``%``, CR, LF, ``:`` and ``,``."""
    for raw, escaped in _PROPERTY_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def command(name: str, message: str = "", properties: Mapping[str, object] | None = None) -> str:
    """One workflow command line, ``::name k=v,k=v::message``; None properties are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (properties or {}).items()
        if value is not None
    )
    head = f"{name} {props}" if props else name
    return f"::{head}::{escape_data(message)}"


def _annotation(
    kind: str,
    message: str,
    file: str | None,
    line: int | None,
    title: str | None,
) -> str:
    # GitHub ignores `line` without `file`, so only send it with one.
    props: dict[str, object] = {"file": file, "line": line if file else None, "title": title}
    return command(kind, message, props)


def error(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """An error annotation, optionally pointing at a repository file and line."""
    return _annotation("error", message, file, line, title)


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """A warning annotation, optionally pointing at a repository file and line."""
    return _annotation("warning", message, file, line, title)


def notice(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """A notice annotation, optionally pointing at a repository file and line."""
    return _annotation("notice", message, file, line, title)


def group(title: str) -> str:
    """Open a collapsible log group (groups do not nest: close the last one first)."""
    return command("group", title)


def endgroup() -> str:
    """Close the open log group."""
    return command("endgroup")


def add_mask(secret: str) -> list[str]:
    """Commands that mask a secret in the log: the whole value and each of its lines."""
    # The runner masks line by line, so a multi-line secret needs each line masked too.
    parts = [secret, *(line for line in secret.splitlines() if line != secret)]
    return [command("add-mask", part) for part in dict.fromkeys(parts) if part.strip()]


def log_text(text: str) -> str:
    """Text from work items made safe for one log line: no line breaks, no command at its start."""
    flat = " ".join(text.splitlines())
    # The runner trims a line and reads it as a command when it starts with `::` (or the older
    # `##[`); text from a work item must never issue one, so such a line gets a visible prefix.
    return f"| {flat}" if flat.strip().startswith(("::", "##[")) else flat


_DELIMITER_TRIES = 100


def _delimiter() -> str:
    return f"ghadelimiter_{secrets.token_hex(16)}"


def output_entry(name: str, value: str, *, delimiter: Callable[[], str] = _delimiter) -> str:
    """One ``GITHUB_OUTPUT`` entry in the multiline-safe ``name<<DELIM`` form.

    The delimiter is drawn again until it occurs in neither the name nor the value, so no value
    can end the entry early or smuggle in another output.
    """
    if not name or "\n" in name or "\r" in name or "<<" in name:
        raise ValueError(f"invalid output name: {name!r}")
    for _ in range(_DELIMITER_TRIES):
        mark = delimiter()
        if mark and mark not in value and mark not in name:
            return f"{name}<<{mark}\n{value}\n{mark}\n"
    raise ValueError(f"no delimiter found that does not occur in output {name!r}")
