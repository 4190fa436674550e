"""Search issues: GitHub's query words, over an index that lags behind writes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchsync.emulator.state import IssueState, Repo, SearchDoc, Store

__all__ = ["Query", "indexed", "parse_query", "search"]


def search(store: Store, query: str, horizon: float) -> list[tuple[Repo, IssueState]]:
    """Issues whose version indexed by ``horizon`` matches ``query``, newest first."""
    terms = parse_query(query)
    hits: list[tuple[Repo, IssueState]] = []
    for repo in store.repos.values():
        if terms.repo and terms.repo != repo.full_name.lower():
            continue
        for issue in repo.issues.values():
            doc = indexed(issue, horizon)
            if doc is not None and terms.accepts(doc):
                hits.append((repo, issue))
    hits.sort(key=lambda hit: hit[1].created_at, reverse=True)
    return hits


@dataclass(frozen=True)
class Query:
    """A parsed search query: qualifiers and free words (all must match)."""

    repo: str | None
    words: tuple[str, ...]
    state: str | None
    kind: str | None
    labels: tuple[str, ...]

    def accepts(self, doc: SearchDoc) -> bool:
        """True when an indexed issue matches every part of the query."""
        if self.state and doc.state != self.state:
            return False
        if (self.kind == "pr" and not doc.is_pull) or (self.kind == "issue" and doc.is_pull):
            return False
        names = {n.lower() for n in doc.labels}
        if any(label not in names for label in self.labels):
            return False
        text = f"{doc.title}\n{doc.body}".lower()
        return all(word in text for word in self.words)


def parse_query(query: str) -> Query:
    """Split a query into ``repo:``, ``is:``/``state:``, ``type:``, ``label:`` and words."""
    tokens = re.findall(r'(\w+:"[^"]*"|"[^"]*"|\S+)', query)
    repo = state = kind = None
    words: list[str] = []
    labels: list[str] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        value = value.strip('"').lower()
        if sep and key == "repo":
            repo = value
        elif sep and key in ("is", "state") and value in ("open", "closed"):
            state = value
        elif sep and key in ("is", "type") and value in ("issue", "pr"):
            kind = value
        elif sep and key == "label":
            labels.append(value)
        elif sep and key == "in":
            continue
        else:
            words.append(token.strip('"').lower())
    return Query(repo, tuple(words), state, kind, tuple(labels))


def indexed(issue: IssueState, horizon: float) -> SearchDoc | None:
    """The latest version of ``issue`` the search index had seen by ``horizon``."""
    found: SearchDoc | None = None
    for at, doc in issue.history:
        if at > horizon:
            break
        found = doc
    return found
