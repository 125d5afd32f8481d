"""A container engine for the image tier: find it, build the Job image, run it (does I/O).

The engine is the Docker CLI talking to a running daemon (`.ci/run` installs Debian's
`docker.io` and starts `dockerd`, see `tests/image/engine.sh`). `engine_problem()` says why
the tier cannot run, in one line, or None.

The Dockerfile's default base `python:3.11-slim` comes from Docker Hub; where it is neither
present nor pullable, `stand_in_base()` builds one from Debian packages with `debootstrap`
(bookworm's Python 3.11, pip, venv, CA certificates, `/usr/local/bin/python*` links, pip
configured like the host's) and imports it. It is built once and kept in the engine's store
under a tag derived from the recipe, so reruns reuse it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE = "python:3.11-slim"
DEBIAN_MIRROR = os.environ.get("REGSCAN_DEBIAN_MIRROR", "http://deb.debian.org/debian")
STAND_IN_PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
STAND_IN_REPO = "regscan-stand-in-base"
LOCAL_LINKS = (("python", "python3"), ("python3", "python3"), ("pip", "pip3"))
RECIPE = 1  # the version of `_populate`
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PULL_TIMEOUT = 60.0
IMAGE_LABEL = "org.opencontainers.image.title=regscan"  # job_images/Dockerfile's LABEL


class EngineError(RuntimeError):
    """A container engine command failed; the message names the command and its output."""


def docker(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    """Run one `docker` command; its stdout, or EngineError with the tail of stderr."""
    try:
        proc = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"docker {args[0]}: no answer in {timeout:.0f}s") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise EngineError(f"docker {' '.join(args[:2])} failed: {' | '.join(tail)}")
    return proc.stdout


def engine_problem() -> str | None:
    """Why no container engine can be used here (one line), or None when it can."""
    if shutil.which("docker") is None:
        return "docker not found on PATH (CI installs Debian's docker.io: tests/image/engine.sh)"
    try:
        docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except EngineError as exc:
        return (
            f"docker is installed but no engine answers ({exc}); start one: tests/image/engine.sh"
        )
    return None


def image_exists(ref: str) -> bool:
    try:
        docker("image", "inspect", "--format", "{{.Id}}", ref, timeout=30)
    except EngineError:
        return False
    return True


def image_size(ref: str) -> int:
    """The image's size in bytes, as the engine counts it (all layers, uncompressed)."""
    return int(docker("image", "inspect", "--format", "{{.Size}}", ref, timeout=30).strip())


def _pip_conf() -> str:
    """pip inside the base configured like the host's: its CA bundle, timeout, index."""
    lines = [
        "[global]",
        "cert = /etc/ssl/certs/ca-certificates.crt",
        "break-system-packages = true",
    ]
    for key, var in (("timeout", "PIP_DEFAULT_TIMEOUT"), ("index-url", "PIP_INDEX_URL")):
        if os.environ.get(var):
            lines.append(f"{key} = {os.environ[var]}")
    return "\n".join(lines) + "\n"


def _populate(rootfs: Path) -> None:
    """What a python:3.11-slim has beyond Debian's packages, or what the host needs."""
    if HOST_CA_BUNDLE.exists():  # the host's CAs (a TLS-intercepting proxy's among them)
        shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    (rootfs / "etc/pip.conf").write_text(_pip_conf())
    local_bin = rootfs / "usr/local/bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    for name, target in LOCAL_LINKS:
        link = local_bin / name
        if not link.exists():
            link.symlink_to(f"/usr/bin/{target}")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / junk).glob("*"):
            if entry.is_file():
                entry.unlink()


def _recipe_tag() -> str:
    """The stand-in's tag: a hash of what goes into it, so a changed recipe (or host CA
    bundle, or pip setting) builds a new base. Bump RECIPE when `_populate` changes."""
    ca = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b""
    recipe = repr((RECIPE, STAND_IN_PACKAGES, LOCAL_LINKS, _pip_conf())).encode() + ca
    return f"{STAND_IN_REPO}:bookworm-{hashlib.sha256(recipe).hexdigest()[:12]}"


def stand_in_base(log: list[str]) -> str:
    """A local stand-in for python:3.11-slim, built with debootstrap once and then reused."""
    tag = _recipe_tag()
    if image_exists(tag):
        log.append(f"stand-in base {tag}: cached")
        return tag
    if shutil.which("debootstrap") is None:
        raise EngineError("debootstrap not found (apt-get install debootstrap) for the stand-in")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="regscan-base-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(STAND_IN_PACKAGES)}",
                "bookworm",
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
            raise EngineError(f"debootstrap failed: {tail}")
        _populate(rootfs)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        env_path = "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
        imported = subprocess.run(
            ["docker", "import", "-c", env_path, "-c", 'CMD ["python3"]', "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=600,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise EngineError(f"docker import of the stand-in base failed: {imported.stderr}")
    log.append(f"stand-in base {tag}: built in {time.monotonic() - started:.0f}s")
    for old in docker("images", "--format", "{{.Repository}}:{{.Tag}}", STAND_IN_REPO).split():
        if old != tag:  # an earlier recipe's base (kept while images built on it remain)
            with contextlib.suppress(EngineError):
                docker("rmi", old, timeout=120)
    return tag


def base_image(log: list[str]) -> str:
    """The base to build on: REGSCAN_BASE_IMAGE, else python:3.11-slim if present or
    pullable, else the Debian stand-in."""
    if os.environ.get("REGSCAN_BASE_IMAGE"):
        return os.environ["REGSCAN_BASE_IMAGE"]
    if image_exists(DEFAULT_BASE):
        return DEFAULT_BASE
    try:
        docker("pull", "-q", DEFAULT_BASE, timeout=PULL_TIMEOUT)
        return DEFAULT_BASE
    except EngineError as exc:
        reason = str(exc).rsplit(": ", 1)[-1]
        log.append(f"{DEFAULT_BASE} cannot be pulled ({reason}): using a Debian stand-in")
    return stand_in_base(log)


@dataclass(frozen=True)
class Built:
    tag: str
    base: str
    seconds: float
    size: int
    base_size: int


def build(tag: str, target: str, base: str) -> Built:
    """`docker build` of job_images/Dockerfile at a target, on `base`, with host networking
    (the build's pip reaches the package index as the host does)."""
    started = time.monotonic()
    docker(
        "build",
        "--network",
        "host",
        "--build-arg",
        f"BASE_IMAGE={base}",
        "--target",
        target,
        "-f",
        str(ROOT / "job_images/Dockerfile"),
        "-t",
        tag,
        str(ROOT),
        timeout=1500,
        env={**os.environ, "DOCKER_BUILDKIT": os.environ.get("DOCKER_BUILDKIT", "0")},
    )
    seconds = time.monotonic() - started
    # the images this tag named before (the Dockerfile labels them); the build cache stays
    docker("image", "prune", "-f", "--filter", f"label={IMAGE_LABEL}", timeout=300)
    return Built(tag, base, seconds, image_size(tag), image_size(base))


def image_config(ref: str) -> dict[str, object]:
    """The image's config (User, Env, Entrypoint, …) as the engine reports it."""
    out = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", ref, timeout=30))
    return dict(out)
