"""Requests per second the emulator serves on loopback with limits off; prints a table.

    PYTHONPATH=src python bench/bench_emulator.py [--seconds 3] [--clients 1,2,4]

Two set-ups: the emulator as its own process (``python -m batchsync.emulator``) driven by client
processes over keep-alive connections, which measures the server; and the emulator in a thread of
the client's own process, as the tests and the demo run it (client and server share one GIL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from batchsync.emulator import Emulator  # noqa: E402

HEADERS = {"Authorization": "token bench", "Content-Type": "application/json"}
REPO = "bench/repo"  # 30 issues, read by the GET scenarios
WRITES = "bench/writes"  # grows with the POST scenario, so reads see a constant repository

Request = tuple[str, str, bytes | None]
SCENARIOS: dict[str, Request] = {
    "GET /rate_limit": ("GET", "/rate_limit", None),
    "GET issue": ("GET", f"/repos/{REPO}/issues/1", None),
    "PATCH issue": ("PATCH", f"/repos/{REPO}/issues/1", json.dumps({"body": "b"}).encode()),
    "POST issue": ("POST", f"/repos/{WRITES}/issues", json.dumps({"title": "t"}).encode()),
    "GET list (30)": ("GET", f"/repos/{REPO}/issues?state=all", None),
}


def drive(port: int, request: Request, seconds: float) -> int:
    """Send one request over and over on one keep-alive connection; return how many were done."""
    method, path, body = request
    conn = http.client.HTTPConnection("127.0.0.1", port)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        conn.request(method, path, body=body, headers=HEADERS)
        answer = conn.getresponse()
        answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{method} {path} -> {answer.status}")
        done += 1
    conn.close()
    return done


def _drive_star(args: tuple[int, Request, float]) -> int:
    return drive(*args)


def seed(port: int) -> None:
    """Create the issues the GET scenarios read."""
    create = ("POST", f"/repos/{REPO}/issues", json.dumps({"title": "t"}).encode())
    for _ in range(30):
        drive_once(port, create)


def drive_once(port: int, request: Request) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request(request[0], request[1], body=request[2], headers=HEADERS)
    conn.getresponse().read()
    conn.close()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Row = tuple[str, int, float, float | None]


def separate_process(clients: list[int], seconds: float) -> list[Row]:
    """The emulator as its own process, clients as processes.

    Besides the rate, the server's CPU time per request gives its capacity on one core,
    which holds even when other work shares the machine.
    """
    env = dict(os.environ, PYTHONPATH=str(SRC))
    cmd = [
        sys.executable,
        "-m",
        "batchsync.emulator",
        "--limits",
        "off",
        "--repo",
        REPO,
        "--repo",
        WRITES,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        port = urlsplit(proc.stdout.readline().strip()).port
        assert port is not None
        seed(port)
        rows = []
        with mp.get_context("spawn").Pool(max(clients)) as pool:
            for name, request in SCENARIOS.items():
                for n in clients:
                    cpu = cpu_seconds(proc.pid)
                    done = sum(pool.map(_drive_star, [(port, request, seconds)] * n))
                    per_request = (cpu_seconds(proc.pid) - cpu) / max(done, 1)
                    rows.append((name, n, done / seconds, 1 / per_request if per_request else None))
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def in_process(seconds: float) -> list[Row]:
    """The emulator in a thread of this process, one client thread (how tests use it)."""
    with Emulator(limits="off") as emu:
        emu.add_repo(REPO)
        emu.add_repo(WRITES)
        seed(emu.port)
        return [
            (name, 1, drive(emu.port, req, seconds) / seconds, None)
            for name, req in SCENARIOS.items()
        ]


def table(title: str, rows: list[Row]) -> None:
    """Print rows as a Markdown table."""
    print(f"\n{title}\n")
    print("| request | clients | requests/s | server capacity, requests per CPU-second |")
    print("|---|---:|---:|---:|")
    for name, clients, rate, capacity in rows:
        shown = f"{capacity:,.0f}" if capacity else "-"
        print(f"| {name} | {clients} | {rate:,.0f} | {shown} |")


def main() -> None:
    """Run both set-ups and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", default="1,2,4")
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.seconds:g} s a cell")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    table(
        "Emulator as a process (python -m batchsync.emulator --limits off), client processes",
        separate_process(clients, args.seconds),
    )
    table(
        "Emulator in a thread of the client's process (as in the tests)", in_process(args.seconds)
    )


if __name__ == "__main__":
    main()
