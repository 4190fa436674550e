# The batchsync action's image: the package and its locked dependencies on a slim Python, nothing
# else. GitHub runs it as root with GITHUB_WORKSPACE mounted and set as the working directory, so
# there is no USER and no WORKDIR here (docs: "Dockerfile support for GitHub Actions").
# Bump the base together with requirements.lock (docs/action.md, "Release").
#
# The base is named once, on the python-base line, where Dependabot can read and bump it (it
# does not read ARG values). BASE_IMAGE defaults to that stage; a test build passes a stand-in
# under a private name instead (scripts/container-test.sh), and the python-base stage is then
# never built. Releases and the runner build with the default.
ARG BASE_IMAGE=python-base
FROM python:3.11.13-slim-bookworm AS python-base

# Build stage: turn the source into a wheel; the build backend stays behind in this stage.
FROM ${BASE_IMAGE} AS build
ENV PIP_ROOT_USER_ACTION=ignore \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE /src/
COPY src /src/src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist /src

# Final stage: locked, hash-checked dependencies, then the wheel without resolving anything.
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# COPY --from rather than a BuildKit mount: older Docker engines on self-hosted runners build it too.
COPY requirements.lock /tmp/requirements.lock
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock \
    && pip install --no-cache-dir --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist /tmp/requirements.lock
ENTRYPOINT ["python", "-m", "batchsync"]
