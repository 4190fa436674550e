"""Regenerate the vendored extracts from the npm packages (run by hand; CI uses the extracts).

    npm pack @octokit/openapi @octokit/fixtures   # then untar each into a folder
    python tests/fidelity/extract.py OPENAPI_PACKAGE_DIR FIXTURES_PACKAGE_DIR

Writes ``github-openapi-subset.json`` (the operations the emulator serves and every schema they
reference, descriptions and examples dropped) and ``octokit-fixtures-subset.json`` (the recorded
answers of the issue, label, pagination, search and error scenarios).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

OPERATIONS = {
    "/rate_limit": ["get"],
    "/user": ["get"],
    "/search/issues": ["get"],
    "/repos/{owner}/{repo}": ["get"],
    "/repos/{owner}/{repo}/issues": ["get", "post"],
    "/repos/{owner}/{repo}/issues/{issue_number}": ["get", "patch"],
    "/repos/{owner}/{repo}/labels": ["get", "post"],
    "/repos/{owner}/{repo}/labels/{name}": ["get", "patch", "delete"],
    "/repos/{owner}/{repo}/issues/{issue_number}/labels": ["get", "post", "put", "delete"],
    "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": ["delete"],
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": ["get", "post"],
    "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues": ["get", "post"],
    "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue": ["delete"],
    "/repos/{owner}/{repo}/issues/{issue_number}/parent": ["get"],
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by": ["get", "post"],
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}": ["delete"],
    "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking": ["get"],
    "/repos/{owner}/{repo}/issue-types": ["get"],
    "/orgs/{org}/issue-types": ["get"],
}
SCENARIOS = ["add-labels-to-issue", "errors", "labels", "paginate-issues", "search-issues"]
DROP = {"description", "summary", "examples", "example", "externalDocs", "x-github", "tags"}


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        kept = {k: _strip(v) for k, v in node.items() if k not in DROP}
        # OpenAPI 3.0.3: a nullable enum must list null itself to accept it; GitHub's description
        # relies on the older reading (state_reason is null on every open issue), so add it
        if kept.get("nullable") is True and isinstance(kept.get("enum"), list):
            kept["enum"] = [*kept["enum"], *([None] if None not in kept["enum"] else [])]
        return kept
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def openapi_subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The served operations and the transitive closure of their component references."""
    paths = {
        path: {m: _strip(spec["paths"][path][m]) for m in methods}
        for path, methods in OPERATIONS.items()
    }
    components: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    _refs(paths, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, section, name = ref.split("/", 3)
        value = _strip(spec["components"][section][name])
        components.setdefault(section, {})[name] = value
        _refs(value, pending)
    return {
        "openapi": spec["openapi"],
        "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "servers": [{"url": "https://api.github.com"}],
        "paths": paths,
        "components": components,
    }


def fixtures_subset(root: Path) -> dict[str, Any]:
    """The recorded exchanges of the scenarios, without request headers."""
    base = root / "scenarios" / "api.github.com"
    out: dict[str, Any] = {}
    for name in SCENARIOS:
        records = json.loads((base / name / "normalized-fixture.json").read_text())
        out[name] = [
            {
                "method": r["method"].upper(),
                "path": r["path"],
                "body": r.get("body"),
                "status": r["status"],
                "response": r["response"],
                "headers": {
                    k: v
                    for k, v in r["headers"].items()
                    if k in ("link", "content-type") or k.startswith("x-ratelimit")
                },
            }
            for r in records
        ]
    return out


def main(argv: list[str]) -> None:
    """Write both extracts next to this file."""
    openapi_dir, fixtures_dir = Path(argv[0]), Path(argv[1])
    spec = json.loads((openapi_dir / "generated" / "api.github.com.json").read_text())
    (HERE / "github-openapi-subset.json").write_text(
        json.dumps(openapi_subset(spec), sort_keys=True, separators=(",", ":")) + "\n"
    )
    (HERE / "octokit-fixtures-subset.json").write_text(
        json.dumps(fixtures_subset(fixtures_dir), sort_keys=True, indent=1) + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
