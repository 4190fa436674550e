"""The environment GitHub's runner gives a Docker action, built from action.yml.

Used by the end-to-end tests and by scripts/container-test.sh (``python tests/runner_env.py``
prints ``NAME=value`` entries separated by NUL bytes, ready for ``podman run -e``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

ACTION_YML = Path(__file__).resolve().parents[1] / "action.yml"

# What the runner evaluates in the defaults of action.yml.
_EXPRESSIONS = ("${{ github.token }}", "${{ github.repository }}")


def action_inputs(action_yml: Path = ACTION_YML) -> dict[str, str]:
    """Each input of action.yml with its default, as written."""
    spec = yaml.safe_load(action_yml.read_text(encoding="utf-8"))
    return {name: str(body.get("default", "")) for name, body in spec["inputs"].items()}


def input_env(
    given: Mapping[str, str],
    *,
    token: str,
    repository: str,
    defaults: bool = True,
    action_yml: Path = ACTION_YML,
) -> dict[str, str]:
    """``INPUT_<NAME>`` for every input, hyphens kept, as the runner sets them.

    A given value wins; otherwise the default (its expressions evaluated), or with
    ``defaults=False`` an empty string, which is how an input without a default arrives.
    """
    unknown = set(given) - set(action_inputs(action_yml))
    if unknown:
        raise KeyError(f"not inputs of action.yml: {sorted(unknown)}")
    env: dict[str, str] = {}
    for name, default in action_inputs(action_yml).items():
        value = given.get(name, default if defaults else "")
        value = value.replace(_EXPRESSIONS[0], token).replace(_EXPRESSIONS[1], repository)
        if "${{" in value:
            raise ValueError(f"default of {name} has an expression the harness cannot evaluate")
        env[f"INPUT_{name.upper()}"] = value
    return env


def runner_env(
    *,
    workspace: str,
    files: str,
    api_url: str,
    repository: str,
    temp: str = "/home/runner/work/_temp",
) -> dict[str, str]:
    """The runner variables of a Docker action step, with paths as its container sees them."""
    owner = repository.split("/", 1)[0]
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "HOME": "/github/home",
        "GITHUB_ACTION": "sync",
        "GITHUB_ACTOR": owner,
        "GITHUB_API_URL": api_url,
        "GITHUB_ENV": f"{files}/set_env",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_GRAPHQL_URL": f"{api_url}/graphql",
        "GITHUB_JOB": "sync",
        "GITHUB_OUTPUT": f"{files}/set_output",
        "GITHUB_PATH": f"{files}/add_path",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": repository,
        "GITHUB_REPOSITORY_OWNER": owner,
        "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_NUMBER": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_STATE": f"{files}/save_state",
        "GITHUB_STEP_SUMMARY": f"{files}/step_summary",
        "GITHUB_WORKFLOW": "Sync work items to issues",
        "GITHUB_WORKSPACE": workspace,
        "RUNNER_ARCH": "X64",
        "RUNNER_OS": "Linux",
        # The host's temp folder: a Docker action may not see it (the action must not rely on it).
        "RUNNER_TEMP": temp,
    }


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file the way the runner does (``name=value`` and heredoc entries)."""
    result: dict[str, str] = {}
    rows = iter(text.split("\n"))
    for row in rows:
        if not row:
            continue
        if "<<" in row and ("=" not in row or row.index("<<") < row.index("=")):
            name, mark = row.split("<<", 1)
            body: list[str] = []
            for value_row in rows:
                if value_row == mark:
                    break
                body.append(value_row)
            else:
                raise ValueError(f"output {name!r} has no closing delimiter")
            result[name] = "\n".join(body)
        else:
            name, value = row.split("=", 1)
            result[name] = value
    return result


def main(argv: list[str]) -> int:
    """Print the whole environment, NUL-separated, for ``podman run -e``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--repository", required=True)
    parser.add_argument("--token-env", default="BATCHSYNC_TEST_TOKEN")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    token = _token(args.token_env)
    given = dict(item.split("=", 1) for item in args.input)
    env = runner_env(
        workspace="/github/workspace",
        files="/github/file_commands",
        api_url=args.api_url,
        repository=args.repository,
    )
    env.update(input_env(given, token=token, repository=args.repository))
    sys.stdout.write("".join(f"{k}={v}\0" for k, v in env.items()))
    return 0


def _token(name: str) -> str:
    # Read from the environment, never from a flag: a token on a command line shows in `ps`.
    return os.environ[name]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
