"""The one way out: every line batchsync writes, and the workflow commands among them.

Work items come from pull requests and issues from anyone who can open one, so any text that
reaches a log may be hostile. Every line batchsync prints, in every mode, goes through ``Out``,
which (1) takes out the secrets and anything that looks like a GitHub token (``redact``),
(2) replaces control characters, terminal escapes (ANSI CSI, OSC, C1), NUL, bidirectional
overrides and other invisible format characters with a visible ``\\xNN`` / ``\\uNNNN`` form
(``clean``), and (3) inside GitHub Actions keeps the runner from reading a command in it.

The runner (actions/runner, ``ActionCommand.TryParseV2`` and ``TryParse``) reads a line as a
command when it starts with ``::`` after its leading whitespace is trimmed, or when it holds the
older ``##[name]`` form anywhere. Only a ``Command``, built here from escaped parts, may do
either; any other line that would gets a visible ``| `` in front, and ``##[`` becomes ``##\\[``.
Escaping follows GitHub's rules
(https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands):
the message ("data") escapes ``%``, CR and LF; property values also escape ``:`` and ``,``.
Escaping ``%`` first keeps the other escapes unambiguous.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

__all__ = [
    "FIELD_LIMIT",
    "LINE_LIMIT",
    "MESSAGE_LIMIT",
    "Command",
    "Out",
    "add_mask",
    "clean",
    "command",
    "endgroup",
    "error",
    "escape_data",
    "escape_property",
    "group",
    "json_text",
    "looks_like_token",
    "neutral",
    "notice",
    "output_entry",
    "redact",
    "tokens_in",
    "warning",
]

FIELD_LIMIT = 1_000  # characters of one piece of outside text in a line (a key, a message)
LINE_LIMIT = 8_000  # characters of one printed line
MESSAGE_LIMIT = 4_000  # characters of a command's message (an annotation shows no more)
REDACTED = "***"

_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))

# Characters that end a line for some reader (Python's splitlines, a terminal, the runner):
# inside one line they become a space.
_BREAKS = frozenset("\n\r\v\f\t\x1c\x1d\x1e\x85\u2028\u2029")
# Format characters that carry meaning in some scripts and emoji and cannot reorder text.
_KEEP_FORMAT = frozenset("\u200c\u200d")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})

# GitHub's token prefixes (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/):
# ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh, and
# github_pat_ fine-grained personal tokens.
# No word boundary: a token glued to other text (a URL, a path) is still a token.
_TOKEN_RE = re.compile(r"(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]+")


class Command(str):
    """A workflow command line batchsync built itself: the only text that may issue one."""

    __slots__ = ()


# ---- text from outside -------------------------------------------------------------------------


def _visible(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (a file name's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _safe_char(ch: str, keep_breaks: bool) -> str:
    if ch in _BREAKS:
        return ch if keep_breaks and ch in "\r\n" else " "
    if ch in _KEEP_FORMAT or unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
        return ch
    return _visible(ch)


def clean(text: object, *, limit: int | None = None, keep_breaks: bool = False) -> str:
    """Text made safe to print: no control, escape, bidi or invisible format character.

    Line breaks (and tabs) become spaces unless ``keep_breaks`` (then CR and LF stay, for a
    command's message, which escapes them). ``limit`` cuts the text to that many characters.
    """
    value = text if isinstance(text, str) else str(text)
    if limit is not None and len(value) > limit:
        rest = len(value) - (limit - 1)
        value = f"{value[: limit - 1]}… ({rest:,} more characters)"
    if value.isascii() and value.isprintable():
        return value
    return "".join(_safe_char(ch, keep_breaks) for ch in value)


def looks_like_token(text: str) -> bool:
    """True when the text holds something shaped like a GitHub token (``ghp_``, ``ghs_``, ...)."""
    return _TOKEN_RE.search(text) is not None


def tokens_in(text: str) -> list[str]:
    """Every piece of ``text`` shaped like a GitHub token."""
    return _TOKEN_RE.findall(text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with each secret, and anything that looks like a GitHub token, as ``***``.

    The one redaction of batchsync: logs, summaries, outputs, the results file and error
    messages all pass through it (the runner masks the log too, but not files or tests).
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _TOKEN_RE.sub(REDACTED, text)


def neutral(line: str) -> str:
    """One line that the Actions runner will not read as a workflow command."""
    line = line.replace("##[", "##\\[")
    # The runner trims leading whitespace before it looks for `::`.
    return f"| {line}" if line.lstrip().startswith("::") else line


def json_text(document: object) -> str:
    """A JSON document for a log or a terminal: ASCII only, and no ``##[`` the runner reads."""
    # `##` never occurs outside a JSON string, and `\u005b` is `[` inside one: same document.
    text = json.dumps(document, indent=2, ensure_ascii=True)
    return text.replace("##[", "##\\u005b")


# ---- workflow commands -------------------------------------------------------------------------


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


def command(
    name: str, message: str = "", properties: Mapping[str, object] | None = None
) -> Command:
    """One workflow command line, ``::name k=v,k=v::message``; None properties are left out."""
    props = ",".join(
        f"{key}={escape_property(clean(value, limit=FIELD_LIMIT))}"
        for key, value in (properties or {}).items()
        if value is not None
    )
    head = f"{name} {props}" if props else name
    text = clean(message, limit=MESSAGE_LIMIT, keep_breaks=True)
    return Command(f"::{head}::{escape_data(text)}")


def _annotation(
    kind: str,
    message: str,
    file: str | None,
    line: int | None,
    title: str | None,
) -> Command:
    # GitHub ignores `line` without `file`, so only send it with one.
    props: dict[str, object] = {"file": file, "line": line if file else None, "title": title}
    return command(kind, message, props)


def error(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> Command:
    """An error annotation, optionally pointing at a repository file and line."""
    return _annotation("error", message, file, line, title)


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> Command:
    """A warning annotation, optionally pointing at a repository file and line."""
    return _annotation("warning", message, file, line, title)


def notice(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> Command:
    """A notice annotation, optionally pointing at a repository file and line."""
    return _annotation("notice", message, file, line, title)


def group(title: str) -> Command:
    """Open a collapsible log group (groups do not nest: close the last one first)."""
    return command("group", title.replace("\n", " ").replace("\r", " "))


def endgroup() -> Command:
    """Close the open log group."""
    return command("endgroup")


def add_mask(secret: str) -> list[Command]:
    """Commands that mask a secret in the log: the whole value and each of its lines."""
    # The runner masks line by line, so a multi-line secret needs each line masked too. The
    # secret is sent as it is (only escaped): a cleaned copy would mask the wrong text.
    parts = [secret, *(line for line in secret.splitlines() if line != secret)]
    return [
        Command(f"::add-mask::{escape_data(part)}") for part in dict.fromkeys(parts) if part.strip()
    ]


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


# ---- the writer --------------------------------------------------------------------------------


class Out:
    """One output stream (stdout or stderr) that every printed line goes through.

    ``actions`` turns on the runner's rule (no line may issue a command unless it is a
    ``Command``); ``secrets`` are redacted from every line. Thread-safe: the processor's lanes
    report progress from several threads.
    """

    def __init__(
        self, stream: TextIO, *, actions: bool = False, secrets: Iterable[str] = ()
    ) -> None:
        self.stream = stream
        self.actions = actions
        self._secrets = [s for s in secrets if s]
        self._masked: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        """Redact ``secret`` from every later line (and from ``redact``)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        """``text`` with this writer's secrets and any token-like text as ``***``."""
        return redact(text, self._secrets)

    def render(self, line: str) -> str:
        """One line as it will be printed (``line`` holds no line break of ours)."""
        if isinstance(line, Command):
            return self.redact(line)
        text = clean(self.redact(line), limit=LINE_LIMIT)
        return neutral(text) if self.actions else text

    def lines(self, text: str) -> Iterator[str]:
        """Each line of ``text`` (split on LF only: other breaks are cleaned) as printed."""
        if isinstance(text, Command):
            yield self.render(text)
            return
        for part in text.split("\n"):
            yield self.render(part)

    def say(self, text: str) -> None:
        """Print ``text``: a ``Command``, or any text, one printed line per line of it."""
        with self._lock:
            for line in self.lines(text):
                self.stream.write(line + "\n")
            self.stream.flush()

    def document(self, text: str) -> None:
        """Print a whole document (``json_text``) line by line, cleaned but never cut short."""
        with self._lock:
            for line in text.split("\n"):
                safe = clean(self.redact(line))
                self.stream.write((neutral(safe) if self.actions else safe) + "\n")
            self.stream.flush()

    def mask(self, secret: str | None) -> None:
        """Redact ``secret`` from now on and, in Actions, tell the runner to mask it."""
        if not secret:
            return
        self.add_secret(secret)
        if not self.actions or secret in self._masked:
            return
        self._masked.add(secret)
        with self._lock:
            for line in add_mask(secret):
                self.stream.write(line + "\n")  # the one line that must name the secret
            self.stream.flush()

    def redraw(self, text: str, pad: int = 0) -> None:
        """Redraw a terminal's status line in place (``\\r``, then the text, padded)."""
        with self._lock:
            self.stream.write("\r" + self.render(text).ljust(pad))
            self.stream.flush()

    def end_line(self) -> None:
        """Finish a line drawn with ``redraw``."""
        with self._lock:
            self.stream.write("\n")
            self.stream.flush()


class _Handler(logging.Handler):
    """Log records of the ``batchsync`` logger, printed through an ``Out``."""

    def __init__(self, out: Out) -> None:
        super().__init__(logging.WARNING)
        self.out = out
        self.setFormatter(logging.Formatter("batchsync: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.out.say(self.format(record))
        except Exception:  # logging must never end a run
            self.handleError(record)


@contextmanager
def logging_to(out: Out, name: str = "batchsync") -> Iterator[None]:
    """Send the warnings of the ``batchsync`` logger through ``out`` while the block runs.

    Without a handler Python prints them raw to stderr, where an item key from a file could
    start a workflow command.
    """
    logger = logging.getLogger(name)
    handler = _Handler(out)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
