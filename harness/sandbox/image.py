"""The sandbox image: found by the hash of its inputs, built when missing.

Order of attempts: an image already tagged with the inputs' hash; the
Dockerfile with its default base (needs a registry); a base assembled from
Debian packages on this host (`apt-get download` + `dpkg -x`) when no registry
answers. Every build passes pull=False: nothing is ever pulled implicitly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import SandboxError
from harness.resources import DOCKERFILE, WORKER, WORKER_DIR, resource_root

DockerClient = Any
"""A `docker.DockerClient`: the docker SDK ships no type information (imported lazily)."""

IMAGE_REPO = "harness-sandbox"
BASE_REPO = "harness-sandbox-base"
LABEL = "harness.sandbox"
# Left out of the python3 dependency closure: not needed to run Python, and large.
EXCLUDED_PACKAGES = {"dpkg", "tar", "mailcap", "mime-support", "debconf", "media-types",
                     "install-info", "libgdbm-compat4", "libdb5.3"}
EXCLUDED_PREFIXES = ("perl", "libperl")
EXTRA_PACKAGES = ("dash",)
USR_MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

Log = Callable[[str], None]


@dataclass(frozen=True)
class ImageInputs:
    """Where the files that define the image live."""

    root: Path

    @property
    def dockerfile(self) -> Path:
        return self.root / DOCKERFILE

    @property
    def worker_dir(self) -> Path:
        return self.root / WORKER_DIR

    def files(self) -> list[Path]:
        return [self.dockerfile, *sorted(self.worker_dir.glob("*.py"))]

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in self.files():
            h.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        return h.hexdigest()

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPO}:{self.digest()[:16]}"


def project_root() -> Path:
    """The folder holding Dockerfile.sandbox and sandbox/: $HARNESS_ROOT when set (to try edited
    sandbox files with an installed harness), else the installed package data or the checkout.

    The image tag hashes paths relative to this folder, so every root with the same bytes gives
    the same tag."""
    override = os.environ.get("HARNESS_ROOT", "")
    if override:
        root = Path(override)
        missing = [name for name in (DOCKERFILE, WORKER) if not (root / name).is_file()]
        if missing:
            raise SandboxError(
                f"HARNESS_ROOT={override}: no {' or '.join(missing)} there; point HARNESS_ROOT "
                "at a harness checkout or unset it to use the installed sandbox files"
            )
        return root
    found = resource_root()
    if found is None:
        raise SandboxError(
            f"{DOCKERFILE} and {WORKER} not found in the installed harness package or its "
            "checkout; reinstall harness, or set HARNESS_ROOT to a harness checkout"
        )
    return found


def docker_client() -> DockerClient:
    """A connected Docker client, or a SandboxError that says how to start Docker."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        raise SandboxError(
            "Docker daemon not reachable "
            f"({str(exc).splitlines()[0][:120]}); start it (e.g. `dockerd &`) "
            "and check `docker info`"
        ) from None
    return client


def image_exists(client: DockerClient, tag: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def ensure_image(client: DockerClient, inputs: ImageInputs | None = None, log: Log = print, force: bool = False) -> str:
    """Return the tag of a ready sandbox image, building it if needed."""
    inputs = inputs or ImageInputs(project_root())
    tag = inputs.tag
    if not force and image_exists(client, tag):
        return tag
    from docker.errors import APIError, BuildError

    try:
        _build(client, inputs, tag, base=None)
        log(f"built {tag} from {inputs.dockerfile.name}")
        return tag
    except (BuildError, APIError) as exc:
        log(f"default base unavailable ({_first_line(exc)}); assembling one from Debian packages")
    base = ensure_debian_base(client, log=log)
    _build(client, inputs, tag, base=base)
    log(f"built {tag} on {base}")
    return tag


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]


def _build(client: DockerClient, inputs: ImageInputs, tag: str, base: str | None) -> None:
    buildargs = {"BASE": base} if base else {}
    with tempfile.TemporaryDirectory(prefix="harness-ctx-") as ctx:
        shutil.copy(inputs.dockerfile, Path(ctx) / "Dockerfile")
        shutil.copytree(inputs.worker_dir, Path(ctx) / "sandbox",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        client.images.build(
            path=ctx, tag=tag, buildargs=buildargs, pull=False, rm=True, forcerm=True,
            labels={LABEL: "image", "harness.inputs": inputs.digest()},
        )


# ------------------------------------------------------------ Debian base


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise SandboxError(f"`{cmd[0]}` not found: the Debian fallback needs apt and dpkg") from None
    if proc.returncode != 0:
        raise SandboxError(f"`{' '.join(cmd[:3])} ...` failed: {proc.stderr.strip()[:300]}")
    return proc.stdout


def python_closure() -> list[str]:
    """python3 and its run-time dependencies, as Debian package names."""
    out = _run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "python3"])
    names = {line.strip() for line in out.splitlines() if line and not line[0].isspace()}
    names = {n for n in names if not n.startswith("<") and ":" not in n}
    if "python3" not in names:
        raise SandboxError("apt-cache knows no python3: run `apt-get update` first")
    names = {n for n in names - EXCLUDED_PACKAGES if not n.startswith(EXCLUDED_PREFIXES)}
    return sorted(names | set(EXTRA_PACKAGES))


def base_tag(packages: list[str]) -> str:
    return f"{BASE_REPO}:{hashlib.sha256(' '.join(packages).encode()).hexdigest()[:16]}"


def ensure_debian_base(client: DockerClient, log: Log = print) -> str:
    packages = python_closure()
    tag = base_tag(packages)
    if image_exists(client, tag):
        return tag
    with tempfile.TemporaryDirectory(prefix="harness-rootfs-") as tmp:
        work = Path(tmp)
        debs = work / "debs"
        debs.mkdir()
        log(f"downloading {len(packages)} Debian packages")
        _run(["apt-get", "download", "-q", *packages], cwd=debs)
        rootfs = work / "rootfs"
        rootfs.mkdir()
        for deb in sorted(debs.glob("*.deb")):
            _run(["dpkg", "-x", str(deb), str(rootfs)])
        _merge_usr(rootfs)
        _write_accounts(rootfs)
        _precompile(rootfs, log)
        tarball = work / "rootfs.tar"
        with tarfile.open(tarball, "w") as tar:
            tar.add(rootfs, arcname=".")
        log(f"importing base image {tag} ({tarball.stat().st_size // 2**20} MB)")
        with open(tarball, "rb") as handle:
            client.api.import_image_from_data(handle.read(), repository=tag.split(":")[0],
                                              tag=tag.split(":")[1])
    return tag


def _merge_usr(rootfs: Path) -> None:
    """dpkg -x replaces the usr-merge links with directories: fold them back into usr/."""
    for name in USR_MERGED:
        top = rootfs / name
        if top.is_symlink() or not top.exists():
            continue
        target = rootfs / "usr" / name
        target.mkdir(parents=True, exist_ok=True)
        for item in top.iterdir():
            dest = target / item.name
            if dest.exists() or dest.is_symlink():
                if dest.is_dir() and not dest.is_symlink() and item.is_dir():
                    shutil.copytree(item, dest, dirs_exist_ok=True, symlinks=True)
                    continue
                dest.unlink() if not dest.is_dir() else shutil.rmtree(dest)
            shutil.move(str(item), str(dest))
        shutil.rmtree(top)
        top.symlink_to(f"usr/{name}")


def _write_accounts(rootfs: Path) -> None:
    etc = rootfs / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (etc / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    for name in ("tmp", "proc", "sys", "dev"):
        (rootfs / name).mkdir(exist_ok=True)
    (rootfs / "tmp").chmod(0o1777)


def _precompile(rootfs: Path, log: Log) -> None:
    """Byte-compile the stdlib: the container's root is read-only, so it cannot cache .pyc."""
    libs = sorted((rootfs / "usr" / "lib").glob("python3.*"))
    if not libs:
        raise SandboxError("the assembled root has no Python standard library")
    if os.geteuid() == 0:
        cmd = ["chroot", str(rootfs), "/usr/bin/python3", "-m", "compileall", "-q",
               f"/usr/lib/{libs[0].name}"]
    elif libs[0].name == f"python{sys.version_info.major}.{sys.version_info.minor}":
        cmd = [sys.executable, "-m", "compileall", "-q", str(libs[0])]
    else:
        log("not root and Python versions differ: skipping stdlib precompilation")
        return
    subprocess.run(cmd, capture_output=True, check=False)
