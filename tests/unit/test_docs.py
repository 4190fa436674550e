"""docs/troubleshooting.md lists every message batchsync prints, each with its fix.

The messages are found in the source, not in a hand-kept list: every call that makes a message a
user sees (below, ``MESSAGE_CALLS`` and the other rules of ``printed_messages``) is read with
``ast`` and its text turned into a template, the parts computed at run time (``{path}``,
``{exc}``) becoming holes. A template is documented when some line of a ```text block in the
troubleshooting page ends with text it matches, the holes written as ``<placeholders>``.
Templates that are only wrappers (``f"{where}: {message}"``) have too little fixed text to name a
message and are left out. The emulator is a test tool with GitHub's own messages: not scanned.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "batchsync"
PAGE = ROOT / "docs" / "troubleshooting.md"

HOLE = "\x00"
MIN_FIXED = 8  # letters of fixed text a template needs to be a message rather than a wrapper

# Callee name -> index of the argument that is the message (keyword name in brackets).
MESSAGE_CALLS: dict[str, tuple[int, str]] = {
    "ItemError": (2, "message"),  # printed as "path:line: message"
    "Fatal": (1, "message"),  # the one error for a run that could not start (every mode)
    "BudgetExhausted": (0, "reason"),  # printed as "time budget exhausted: reason"
    "LinkError": (0, "message"),
    "TransportError": (2, "reason"),
    "Claim": (2, "refused"),  # printed as the item's error: "path:line: refused"
    "_cannot_start": (1, "message"),  # the CLI's one line (or titled ::error) for exit 2
}
# Callee name -> index of the title of an error that ends a run before it starts.
TITLE_CALLS: dict[str, int] = {"Fatal": 0, "_cannot_start": 0}
PREFIXES = {"BudgetExhausted": "time budget exhausted: "}
ANNOTATIONS = {"error", "warning", "notice"}  # workflow.error(...) and friends
PRINTERS = {"print", "_say"}
STDERR_SAYS = {"err"}  # `err.say(...)`: a message on stderr through workflow.Out
LOG_LEVELS = {"warning", "error", "exception", "critical"}  # logger.<level>: on stderr
# Functions that hand warnings back as return values rather than appending them.
WARNING_RETURNS = {"close_candidates", "_closes"}
SAID_BY = "batchsync: "  # the CLI's prefix to every line it prints; not part of the message


@dataclass(frozen=True)
class Template:
    """One message as the code builds it; ``HOLE`` marks a part computed at run time."""

    text: str
    where: str  # file:line, for the test id

    @property
    def fixed(self) -> int:
        """How many letters of the message are fixed text."""
        return sum(ch.isalpha() for ch in self.text.replace(HOLE, ""))

    def pattern(self) -> re.Pattern[str]:
        """A regex matching the message at the end of a documented line."""
        # Words of fixed text in order, any whitespace between them; a hole takes anything
        # (including the spaces around it, which split() drops from the fixed parts).
        parts = [r"\s+".join(map(re.escape, p.split())) for p in self.text.split(HOLE)]
        return re.compile(r".+?".join(parts) + r"\s*$")


def _text(node: ast.expr | None, scope: ast.AST) -> list[str]:
    """The template(s) an expression builds; a name is followed to its string assignments."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = ""
        for part in node.values:
            is_text = isinstance(part, ast.Constant) and isinstance(part.value, str)
            out += part.value if is_text else HOLE  # type: ignore[union-attr]
        return [out]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        lefts = _text(node.left, scope) or [HOLE]
        rights = _text(node.right, scope) or [HOLE]
        return [a + b for a in lefts for b in rights]
    if isinstance(node, ast.Name):
        found = []
        for sub in ast.walk(scope):
            if isinstance(sub, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in sub.targets
            ):
                found += [t for t in _text(sub.value, scope) if t != HOLE]
        return found
    return [HOLE]


def _callee(call: ast.Call) -> tuple[str, str | None]:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        owner = func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        return func.attr, name
    return "", None


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _messages_of_call(call: ast.Call, scope: ast.AST) -> Iterator[str]:
    name, owner = _callee(call)
    if name in MESSAGE_CALLS:
        index, keyword = MESSAGE_CALLS[name]
        for text in _text(_argument(call, index, keyword), scope):
            yield PREFIXES.get(name, "") + text
    elif name == "SettingsError":
        # Printed as "invalid <name>: <value>; <allowed>".
        for setting in _text(_argument(call, 0, "name"), scope) or [HOLE]:
            for allowed in _text(_argument(call, 2, "allowed"), scope) or [HOLE]:
                yield f"invalid {setting}: {HOLE}; {allowed}"
    elif (
        (name in ANNOTATIONS and owner == "workflow")
        or name in PRINTERS
        or (name == "say" and owner in STDERR_SAYS)
    ):
        yield from _text(_argument(call, 0, "message"), scope)
    elif name in LOG_LEVELS and owner == "logger":
        for text in _text(call.args[0] if call.args else None, scope):
            yield re.sub(r"%[-+ #0-9.]*[sdifr]", HOLE, text)
    elif name == "__init__" and isinstance(call.func, ast.Attribute):
        if isinstance(call.func.value, ast.Call) and _callee(call.func.value)[0] == "super":
            yield from _text(call.args[0] if call.args else None, scope)
    elif name == "append" and "warning" in f"{owner} {getattr(scope, 'name', '')}":
        yield from _text(call.args[0] if call.args else None, scope)


def _scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.AST]]:
    """Every node with the innermost function (or the module) that holds it."""
    stack: list[tuple[ast.AST, ast.AST]] = [(tree, tree)]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        inner = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else scope
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def printed_messages(package: Path = PACKAGE) -> list[Template]:
    """Every message template of the package (emulator excluded), with where it is built."""
    found: list[Template] = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if "/emulator/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, scope in _scopes(tree):
            texts: list[str] = []
            if isinstance(node, ast.Call):
                texts = list(_messages_of_call(node, scope))
            elif isinstance(node, ast.Return) and isinstance(scope, ast.FunctionDef):
                texts = _returned(node, scope)
            found += [
                Template(t.removeprefix(SAID_BY), f"{rel}:{node.lineno}")  # type: ignore[attr-defined]
                for t in texts
            ]
    return [t for t in found if t.fixed >= MIN_FIXED]


def _returned(node: ast.Return, scope: ast.FunctionDef) -> list[str]:
    """Messages a function returns: ``*_message`` helpers, and warnings handed back."""
    if scope.name.endswith("_message"):
        return _text(node.value, scope)
    if scope.name in WARNING_RETURNS and isinstance(node.value, ast.Tuple):
        values = node.value.elts
        inner = [e for v in values if isinstance(v, ast.Tuple) for e in v.elts]
        return [t for v in (*values, *inner) for t in _text(v, scope) if t != HOLE]
    return []


def string_corpus(package: Path = PACKAGE) -> list[str]:
    """Every string and f-string of the package (emulator excluded), whitespace folded."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "emulator" in path.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant | ast.JoinedStr):
                found += [" ".join(t.split()) for t in _text(node, node)]
    return found


def documented_lines(page: Path = PAGE) -> list[str]:
    """Each line of the page's ```text blocks: one message each, holes as <placeholders>."""
    lines: list[str] = []
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```text" if not inside else False
            continue
        if inside and line.strip():
            lines.append(" ".join(line.split()))
    return lines


def sections(page: Path = PAGE) -> dict[str, str]:
    """The page's ``###`` sections by heading."""
    found: dict[str, str] = {}
    heading = None
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
            found[heading] = ""
        elif heading is not None:
            found[heading] += line + "\n"
    return found


MESSAGES = printed_messages()


@pytest.mark.parametrize("template", MESSAGES, ids=lambda t: t.where)
def test_message_is_listed_on_the_troubleshooting_page(template: Template) -> None:
    pattern = template.pattern()
    shown = template.text.replace(HOLE, "<...>")
    assert any(pattern.search(line) for line in documented_lines()), (
        f"{template.where} prints a message docs/troubleshooting.md does not list:\n{shown}"
    )


def test_every_listed_message_says_how_to_fix_it() -> None:
    for heading, text in sections().items():
        if "```text" in text:
            assert "**Fix:**" in text, f"troubleshooting.md: '{heading}' has no **Fix:**"


def test_every_listed_message_is_one_batchsync_can_print() -> None:
    # Fixed text between placeholders must be fixed text somewhere in the code: a listed
    # message that no longer exists (or was reworded) fails here.
    sources = string_corpus() + [" ".join(t.text.split()) for t in printed_messages()]
    for line in documented_lines():
        for piece in re.split(r"<[a-zA-Z][\w .'-]*>", line):
            fragment = piece.strip(" :;,.")
            if len(fragment) >= 8:
                assert any(fragment in s for s in sources), (
                    f"troubleshooting.md lists text no message contains: {fragment!r}"
                )


def test_the_scan_finds_messages_of_every_rule() -> None:
    texts = [t.text for t in MESSAGES]
    assert any(t.startswith("no title: add `title:`") for t in texts)  # ItemError
    assert any(t.startswith("invalid path: ") for t in texts)  # SettingsError
    assert any("is not part of this build yet" in t for t in texts)  # a printer
    assert any(t.startswith("time budget exhausted: ") for t in texts)  # BudgetExhausted
    assert any(
        t.startswith("symlink leads outside the workspace") for t in texts
    )  # a followed name


def test_a_template_matches_its_documented_line_with_placeholders() -> None:
    template = Template(f"title is {HOLE} characters; keep it under {HOLE}", "x.py:1")
    assert template.pattern().search("<path>:<line>: title is <N> characters; keep it under 1024")
    assert not template.pattern().search("title is <N> characters")


def _calls(package: Path = PACKAGE) -> Iterator[tuple[str, ast.Call]]:
    """Every call in the package (emulator excluded), with the file:line it is on."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if "/emulator/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield f"{rel}:{node.lineno}", node


def fatal_titles(package: Path = PACKAGE) -> dict[str, str]:
    """Title -> where it is made, for every error that ends a run before it starts."""
    found: dict[str, str] = {}
    for where, call in _calls(package):
        name, _ = _callee(call)
        if name in TITLE_CALLS:
            for text in _text(_argument(call, TITLE_CALLS[name], "title"), call):
                if HOLE not in text:
                    found[text] = where
    return found


def untitled_errors(package: Path = PACKAGE) -> list[str]:
    """``workflow.error`` calls that are not on a file and carry no title."""
    return [
        where
        for where, call in _calls(package)
        if _callee(call) == ("error", "workflow")
        and not any(kw.arg in {"file", "title"} for kw in call.keywords)
    ]


def test_every_error_not_on_a_file_has_a_title() -> None:
    # An annotation with neither a file nor a title shows as a bare "Error" in the run's
    # summary: a run that could not start must say what in its title.
    assert untitled_errors() == []


def test_every_fatal_title_is_listed_on_the_troubleshooting_page() -> None:
    start = PAGE.read_text(encoding="utf-8").split("## The run could not start", 1)[1]
    section = start.split("\n## ", 1)[0]
    titles = fatal_titles()
    assert {"invalid input", "missing permission", "incomplete install"} <= set(titles)
    for title, where in titles.items():
        assert f"| `{title}` |" in section, (
            f"{where} ends a run with the title 'batchsync: {title}', which "
            "docs/troubleshooting.md does not list under 'The run could not start'"
        )


def test_the_title_rules_catch_an_untitled_error(tmp_path: Path) -> None:
    package = tmp_path / "batchsync"
    package.mkdir()
    (package / "x.py").write_text(
        "workflow.error('no title')\n"
        "workflow.error('on a file', file='a.md')\n"
        "_cannot_start('made up', 'message', True)\n",
        encoding="utf-8",
    )
    assert untitled_errors(package) == ["batchsync/x.py:1"]
    assert fatal_titles(package) == {"made up": "batchsync/x.py:3"}


# ---- advice: never to take out a marker batchsync wrote, never to trust a person blindly ------

ADVICE_PAGES = (PAGE, ROOT / "docs" / "sync.md", ROOT / "README.md")
# Advice to take a marker out of an issue: only ever right for a marker copied in by hand.
# (the marker itself, not a token of it: taking ` typed` off a marker keeps the identity)
_MARKER_REMOVAL = re.compile(
    r"\b(?:remove|delete|take out|strip|drop)\s+(?:the\s+|its\s+|that\s+|this\s+|a\s+)?"
    r"(?:batchsync\s+)?(?:marker\b|`<!-- batchsync)",
    re.I,
)
_COPIED_OR_NEGATED = re.compile(r"\b(?:copied|pasted)\b|^\W*(?:never|no|not)\b", re.I)
# Advice to trust an author: it must say what trusting means.
_TRUST_ADVICE = re.compile(r"\badd\b[^.;]*trusted-authors", re.I)
_TRUST_MEANS = re.compile(r"updates? and closes? every issue", re.I)


def _paragraphs(page: Path) -> list[str]:
    """The page's paragraphs (and each line of a ```text block), whitespace folded."""
    text = page.read_text(encoding="utf-8")
    found = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return [*found, *documented_lines(page)] if page == PAGE else found


def bad_advice(text: str) -> list[str]:
    """The pieces of ``text`` that advise taking out a batchsync marker or trusting blindly."""
    found = [
        clause
        for clause in re.split(r"[.;]\s", text)
        if _MARKER_REMOVAL.search(clause) and not _COPIED_OR_NEGATED.search(clause)
    ]
    if _TRUST_ADVICE.search(text) and not _TRUST_MEANS.search(text):
        found.append(text)
    return found


def advice_texts() -> list[str]:
    """Every string of the product and every paragraph of the pages that give advice."""
    return [*string_corpus(), *(p for page in ADVICE_PAGES for p in _paragraphs(page))]


def test_no_message_advises_taking_out_a_marker_or_trusting_an_author_blindly() -> None:
    found = [(text, bad) for text in advice_texts() if (bad := bad_advice(text))]
    assert not found, found


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("fix the link; otherwise remove the marker from #3", True),
        ("delete the `<!-- batchsync -->` line from the issue's marker", True),
        ("if it is yours, add ana to `trusted-authors`", True),
        ("If the marker was copied into #3 by hand, take the copied line out of #3", False),
        ("Never take out a marker batchsync wrote: the item would get a second issue", False),
        (
            "add ana to `trusted-authors`: batchsync then updates and closes every issue ana "
            "writes with a batchsync marker",
            False,
        ),
        ("took back #3: a person had removed its batchsync marker", False),
        ("set the type on GitHub, or remove ` typed` from the marker line", False),
        ("otherwise delete the batchsync marker of #3", True),
    ],
)
def test_the_advice_rule_tells_bad_advice_from_good(text: str, bad: bool) -> None:
    assert bool(bad_advice(text)) is bad
