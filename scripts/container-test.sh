#!/usr/bin/env bash
# Build the action's real Dockerfile without a Docker daemon and run the image the way GitHub's
# runner runs a Docker action (workspace and file-command mounts, INPUT_* and GITHUB_* variables),
# against the bundled emulator on the host. Twice: the second run must write nothing.
#
# Needs root, buildah, podman, runc and mmdebstrap (installed with apt-get when missing) and the
# Python that runs the project (PYTHON, default python3, with the package importable).
# Docker Hub is not reachable where this runs, so the Dockerfile is built on a stand-in base made
# from Debian (same Python minor version), passed as the BASE_IMAGE build argument under a private
# name (localhost/batchsync-test-base:...): it never takes the name of a real image. The Dockerfile
# itself is built unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
image=localhost/batchsync-action:test
base=localhost/batchsync-test-base:py3.11-bookworm
# Older versions of this script tagged the stand-in with the Dockerfile's real base name, where it
# shadowed the real image: such a tag is removed (a real python image sets PYTHON_VERSION; the
# stand-in does not).
shadowed=docker.io/library/python:3.11.13-slim-bookworm
ca=/etc/ssl/certs/ca-certificates.crt
start=$SECONDS
phase() { printf '== %-28s (%3d s)\n' "$1" $((SECONDS - start)); }

work=$(mktemp -d)
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

phase "tools"
missing=()
for tool in buildah podman runc mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages with apt-get: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The host's default OCI runtime fails here; runc with explicit ulimits works.
run_flags=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

if podman image exists "$shadowed" \
  && ! podman image inspect "$shadowed" --format '{{.Config.Env}}' | grep -q PYTHON_VERSION=; then
  echo "removing the stand-in left under the real name $shadowed by an older container test"
  podman untag "$shadowed" "$shadowed" >/dev/null
fi

phase "stand-in base $base"
if ! podman image exists "$base"; then
  # The Debian mirror this machine's apt already uses (the first `URIs:` or `deb` line).
  mirror=$(sed -nE 's/^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\3/p' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1 || true)
  [ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt: set one up for apt-get" >&2; exit 1; }
  mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm - "$mirror" | podman import - localhost/batchsync-debian-raw >/dev/null
  # Test-only layer: pip may install system-wide, `python`/`pip` exist, pip trusts the build's CA.
  cat >"$work/Containerfile.base" <<'EOF'
FROM localhost/batchsync-debian-raw
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
    && ln -sf /usr/bin/python3 /usr/local/bin/python \
    && ln -sf /usr/bin/pip3 /usr/local/bin/pip \
    && printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > /etc/pip.conf
EOF
  buildah bud --quiet --isolation chroot --pull=never -f "$work/Containerfile.base" -t "$base" "$work" >/dev/null
fi

phase "build the Dockerfile"
# The host's CA bundle is mounted for the build only (downloads pass an intercepting proxy);
# it never lands in the image.
buildah bud --quiet --isolation chroot --pull=never --layers \
  --build-arg "BASE_IMAGE=$base" -v "$ca:$ca:ro" -t "$image" . >/dev/null
podman image inspect "$image" --format 'image size: {{.Size}} bytes'

phase "start the emulator"
token="ghs_container$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export BATCHSYNC_TEST_TOKEN=$token
admin="admin$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"  # its /_emulator/ endpoints need it
"$PYTHON" -m batchsync.emulator --port 0 --limits off --token "$token" --admin-token "$admin" --repo o/r >"$work/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/emulator.out")
case "$url" in http://127.0.0.1:*) ;; *) echo "emulator did not start: $url" >&2; exit 1 ;; esac

mkdir -p "$work/workspace" "$work/files" "$work/home"
cp -r src/batchsync/sample_tree "$work/workspace/.claude"

mapfile -d '' envs < <("$PYTHON" tests/runner_env.py --api-url "$url" --repository o/r \
  --input write-interval=0)
env_flags=()
for kv in "${envs[@]}"; do env_flags+=(-e "$kv"); done

run_step() {  # $1: name of the run; prints the step's log to $work/$1.log, returns its exit code
  : >"$work/files/set_output"
  : >"$work/files/step_summary"
  local code=0
  podman run --rm "${run_flags[@]}" --network host \
    --workdir /github/workspace \
    -v "$work/workspace:/github/workspace" \
    -v "$work/files:/github/file_commands" \
    -v "$work/home:/github/home" \
    "${env_flags[@]}" "$image" >"$work/$1.log" 2>&1 || code=$?
  cp "$work/files/set_output" "$work/$1.outputs"
  cp "$work/files/step_summary" "$work/$1.summary"
  return "$code"
}

issues() { "$PYTHON" -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_emulator/issues?repo=o/r", headers={"Authorization": "token " + sys.argv[2]})))))' "$url" "$admin"; }

output() { "$PYTHON" -c 'import sys; sys.path.insert(0, "tests"); import runner_env; print(runner_env.parse_outputs(open(sys.argv[1]).read())[sys.argv[2]])' "$1" "$2"; }

fail() { echo "FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done >&2; exit 1; }

phase "first run (creates)"
run_step first || fail "first run exited $?"
created=$(output "$work/first.outputs" created)
total=$(output "$work/first.outputs" total)
[ "$created" -gt 0 ] && [ "$created" = "$total" ] || fail "first run created $created of $total"
[ "$(issues)" = "$total" ] || fail "the emulator holds $(issues) issues, not $total"
grep -q '^## batchsync' "$work/first.summary" || fail "no step summary"
[ -f "$work/workspace/$(output "$work/first.outputs" results-file)" ] || fail "no results file"
head -n 1 "$work/first.log" | grep -q '^::add-mask::' || fail "the token is not masked first"

phase "second run (no writes)"
run_step second || fail "second run exited $?"
[ "$(output "$work/second.outputs" created)" = 0 ] || fail "second run created issues"
[ "$(output "$work/second.outputs" updated)" = 0 ] || fail "second run updated issues"
[ "$(output "$work/second.outputs" unchanged)" = "$total" ] || fail "second run left items unsynced"
[ "$(issues)" = "$total" ] || fail "the second run changed the number of issues"

phase "token check"
for f in "$work"/*.log "$work"/*.outputs "$work"/*.summary; do
  if grep -v '^::add-mask::' "$f" | grep -qF "$token"; then fail "the token appears in $f"; fi
done

phase "done: $total items, $created created, then 0 writes"
