"""The emulator as a separate process: its URL on stdout, admin endpoints, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from batchsync.emulator import main
from batchsync.emulator.cli import _emulator, build_parser

SRC = str(Path(__file__).resolve().parents[2] / "src")


def launch(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.Popen(
        [sys.executable, "-m", "batchsync.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


ADMIN = {"Authorization": "token adm"}  # the admin token `running` sets


@pytest.fixture
def running() -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = launch(
        "--port",
        "0",
        "--token",
        "t",
        "--read-token",
        "r",
        "--repo",
        "o/r",
        "--seed",
        "3",
        "--admin-token",
        "adm",
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    yield proc, url
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def test_prints_its_url_first_and_serves(running):
    _, url = running
    assert url.startswith("http://127.0.0.1:")
    answer = requests.get(f"{url}/repos/o/r", headers={"Authorization": "token t"})
    assert answer.status_code == 200
    assert answer.json()["url"] == f"{url}/repos/o/r"


def test_tokens_from_flags_are_the_only_ones_accepted(running):
    _, url = running
    assert requests.get(f"{url}/repos/o/r", headers={"Authorization": "token x"}).status_code == 401
    post = requests.post(
        f"{url}/repos/o/r/issues", json={"title": "t"}, headers={"Authorization": "token r"}
    )
    assert post.status_code == 403


def test_admin_endpoints_give_stats_faults_and_reset(running):
    _, url = running
    auth = {"Authorization": "token t"}
    requests.post(f"{url}/repos/o/r/issues", json={"title": "one"}, headers=auth)
    stats = requests.get(f"{url}/_emulator/stats", headers=ADMIN).json()
    assert stats["total"] == 1
    assert stats["violations"] == 0
    assert stats["counts"][0]["template"] == "/repos/{owner}/{repo}/issues"
    faults = requests.post(
        f"{url}/_emulator/faults", json={"error_rate": 1.0}, headers=ADMIN
    ).json()
    assert faults["error_rate"] == 1.0
    assert requests.get(f"{url}/repos/o/r", headers=auth).status_code >= 500
    requests.post(f"{url}/_emulator/reset", json={}, headers=ADMIN)
    assert requests.get(f"{url}/repos/o/r", headers=auth).status_code == 200
    assert requests.get(f"{url}/_emulator/stats", headers=ADMIN).json()["total"] == 1
    issues = requests.get(f"{url}/_emulator/issues", params={"repo": "o/r"}, headers=ADMIN).json()
    assert [i["title"] for i in issues] == ["one"]


def test_admin_rejects_unknown_fault_settings(running):
    _, url = running
    answer = requests.post(f"{url}/_emulator/faults", json={"eror_rate": 1.0}, headers=ADMIN)
    assert answer.status_code == 400
    assert "eror_rate" in answer.json()["message"]


def test_admin_answers_404_for_an_unknown_repository_or_action(running):
    _, url = running
    assert (
        requests.get(
            f"{url}/_emulator/issues", params={"repo": "no/such"}, headers=ADMIN
        ).status_code
        == 404
    )
    assert requests.get(f"{url}/_emulator/nothing", headers=ADMIN).status_code == 404
    assert requests.get(f"{url}/_emulator/issues", headers=ADMIN).status_code == 400


def test_admin_adds_repositories_and_tokens(running):
    _, url = running
    requests.post(f"{url}/_emulator/repos", json={"full_name": "a/b"}, headers=ADMIN)
    requests.post(f"{url}/_emulator/tokens", json={"token": "new"}, headers=ADMIN)
    assert requests.get(f"{url}/repos/a/b", headers={"Authorization": "token new"}).ok


def test_sigterm_stops_it_with_exit_code_0(running):
    proc, _ = running
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_sigint_stops_it_with_exit_code_0(running):
    proc, _ = running
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_bad_repository_name_exits_2_with_a_message():
    proc = launch("--repo", "no-slash")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "owner/name" in err


def test_main_is_callable_in_process():
    with pytest.raises(SystemExit) as stopped:
        main(["--limits", "sometimes"])
    assert stopped.value.code == 2


def test_list_fields_option_reaches_the_emulator() -> None:
    args = build_parser().parse_args(["--list-fields", "none"])
    assert _emulator(args).service.api.list_fields == "none"


def test_admin_endpoints_need_the_admin_token_once_tokens_are_set(running):
    _, url = running
    for headers in ({}, {"Authorization": "token t"}, {"Authorization": "token adm2"}):
        assert requests.get(f"{url}/_emulator/stats", headers=headers).status_code == 401
        answer = requests.post(f"{url}/_emulator/tokens", json={"token": "mine"}, headers=headers)
        assert answer.status_code == 401
    # The refused registration left no token behind.
    assert (
        requests.get(f"{url}/repos/o/r", headers={"Authorization": "token mine"}).status_code == 401
    )
    assert requests.get(f"{url}/_emulator/stats", headers=ADMIN).status_code == 200


def _first_lines(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.stdout is not None
    assert proc.stderr is not None
    url = proc.stdout.readline().strip()
    note = proc.stderr.readline().strip()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    return url, note


def test_a_random_admin_token_is_printed_when_none_is_given():
    url, note = _first_lines(launch("--port", "0", "--token", "t"))
    assert url.startswith("http://127.0.0.1:")
    token = note.split("'Authorization: token ", 1)[1].split("'", 1)[0]
    assert len(token) == 32


def test_binding_a_non_loopback_address_warns():
    url, note = _first_lines(launch("--host", "0.0.0.0", "--port", "0"))
    assert url.startswith("http://0.0.0.0:")
    assert note.startswith("batchsync emulator: warning: listening on 0.0.0.0, not loopback")
    assert "with no --token it accepts any token" in note


def test_loopback_without_tokens_prints_nothing_on_stderr():
    proc = launch("--port", "0")
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert err == ""


def test_dependency_and_issue_type_options_reach_the_emulator() -> None:
    args = build_parser().parse_args(
        ["--no-dependencies", "--issue-types", "Epic, Task,", "--user-repo", "me/mine"]
    )
    emulator = _emulator(args)
    store = emulator.service.store
    assert store.dependencies is False
    assert emulator.service.api.route("GET", "/repos/o/r/issues/1/dependencies/blocked_by") is None
    assert store.issue_types == ("Epic", "Task")
    assert store.repo("me", "mine").owner_type == "User"


def test_issue_types_can_be_switched_off_and_default_to_githubs() -> None:
    parser = build_parser()
    assert _emulator(parser.parse_args(["--no-issue-types"])).service.store.issue_types is None
    default = _emulator(parser.parse_args([])).service.store
    assert default.issue_types == ("Task", "Bug", "Feature")
    assert default.dependencies is True


def test_admin_adds_a_user_owned_repository(running):
    _, url = running
    requests.post(
        f"{url}/_emulator/repos", json={"full_name": "me/mine", "user_owned": True}, headers=ADMIN
    )
    auth = {"Authorization": "token t"}
    assert requests.get(f"{url}/repos/me/mine", headers=auth).json()["owner"]["type"] == "User"
    assert requests.get(f"{url}/orgs/me/issue-types", headers=auth).status_code == 404
