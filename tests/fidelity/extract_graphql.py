"""Regenerate the vendored GraphQL schema extract (run by hand; CI uses the extract).

    npm pack @octokit/graphql-schema   # then untar it into a folder
    python tests/fidelity/extract_graphql.py PACKAGE_DIR

Writes ``github-graphql-subset.graphql``: from GitHub's public schema (``schema.graphql``), the
fields batchsync's queries and the emulator's ``/graphql`` touch on ``Query``, ``Mutation``,
``Repository``, ``Issue`` and ``User`` (with every argument they take), and every type those fields
and arguments name, whole (a union keeps only the members named in ``MEMBERS``). Interfaces and
directives are dropped: the extract validates operations, it does not describe GitHub.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    DefinitionNode,
    DocumentNode,
    InputObjectTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)
from graphql.language import Visitor, visit

HERE = Path(__file__).resolve().parent
OUT = HERE / "github-graphql-subset.graphql"
FIELDS = {
    "Query": {"repository", "viewer"},
    "User": {"login"},
    "Mutation": {"createIssue", "removeSubIssue"},
    "Repository": {"id", "databaseId", "name", "nameWithOwner", "url", "labels", "issue"},
    "Issue": {
        "id",
        "number",
        "databaseId",
        "url",
        "title",
        "body",
        "state",
        "author",
        "parent",
        "timelineItems",
    },
    "Label": {"id", "name", "color", "description"},
    "IssueTimelineItemsConnection": {"nodes", "totalCount", "pageInfo"},
}
# Unions kept with only the members batchsync reads (the rest would pull in most of the schema)
MEMBERS = {"IssueTimelineItems": {"ParentIssueRemovedEvent"}}
BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}


class _Strip(Visitor):
    """Drop directive usages (GitHub's own directives are not part of the extract)."""

    def enter_directive(self, *_: object) -> object:
        return self.REMOVE


def _named(node: object) -> set[str]:
    found: set[str] = set()

    class Collect(Visitor):
        def enter_named_type(self, named: NamedTypeNode, *_: object) -> None:
            found.add(named.name.value)

    visit(node, Collect())  # type: ignore[arg-type]
    return found


def _trim(definition: TypeDefinitionNode) -> TypeDefinitionNode:
    name = definition.name.value
    if isinstance(definition, ObjectTypeDefinitionNode):
        keep = FIELDS.get(name)
        fields = definition.fields or ()
        if keep is not None:
            fields = tuple(f for f in fields if f.name.value in keep)
        return ObjectTypeDefinitionNode(
            name=definition.name, fields=fields, interfaces=(), directives=()
        )
    if isinstance(definition, UnionTypeDefinitionNode) and name in MEMBERS:
        types = tuple(t for t in definition.types or () if t.name.value in MEMBERS[name])
        return UnionTypeDefinitionNode(name=definition.name, types=types, directives=())
    if isinstance(definition, InputObjectTypeDefinitionNode):
        return InputObjectTypeDefinitionNode(
            name=definition.name, fields=definition.fields, directives=()
        )
    return definition


def subset(schema: DocumentNode) -> str:
    """The extract: the trimmed root types and the closure of the types they name."""
    by_name: dict[str, TypeDefinitionNode] = {
        d.name.value: d for d in schema.definitions if isinstance(d, TypeDefinitionNode)
    }
    kept: dict[str, TypeDefinitionNode] = {}
    pending = ["Query", "Mutation"]
    while pending:
        name = pending.pop()
        if name in kept or name in BUILTIN or name not in by_name:
            continue
        kept[name] = _trim(by_name[name])
        pending.extend(_named(kept[name]) - set(kept))
    definitions: list[DefinitionNode] = [kept[n] for n in sorted(kept)]
    document = visit(DocumentNode(definitions=tuple(definitions)), _Strip())
    header = "# Extracted from @octokit/graphql-schema by tests/fidelity/extract_graphql.py\n"
    return header + print_ast(document) + "\n"


def main(package: str) -> None:
    """Write the extract from an unpacked ``@octokit/graphql-schema``."""
    text = (Path(package) / "schema.graphql").read_text(encoding="utf-8")
    OUT.write_text(subset(parse(text)), encoding="utf-8")
    print(f"wrote {OUT.name}: {len(OUT.read_text(encoding='utf-8'))} characters")


if __name__ == "__main__":
    main(sys.argv[1])
