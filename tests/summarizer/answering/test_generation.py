import threading
from pathlib import Path

import pytest

from summarizer.answering.generation import Generation, load_generator
from summarizer.answering.model_files import ModelError, ModelFile, resolve_model

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory) -> ModelFile:
    return resolve_model("smollm2", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def llama_generator(smollm2):
    return load_generator(smollm2, runtime="llama.cpp", n_threads=2, context_tokens=512)


def check(gen: Generation) -> None:
    assert gen.text.strip()
    assert gen.prompt_tokens > 0 and gen.completion_tokens > 0
    assert gen.completion_tokens <= 16
    assert gen.prefill_ms >= 0 and gen.decode_ms >= 0


def test_llama_cpp_generates(llama_generator):
    assert llama_generator.name == "smollm2-135m-instruct-q4_1@llama.cpp"
    check(llama_generator.generate(MESSAGES, max_tokens=16))


def test_llama_cpp_loads_without_extra_buffer_types(llama_generator):
    """AMX and repacked buffers depend on the CPU (AMX crashes where advertised): never used."""
    import llama_cpp

    assert llama_generator._llm.model_params.use_extra_bufts is False
    assert llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts is True, "the patch leaked"


def test_llama_cpp_is_deterministic(llama_generator):
    first = llama_generator.generate(MESSAGES, max_tokens=16)
    second = llama_generator.generate(MESSAGES, max_tokens=16)
    assert first.text == second.text
    assert first.prompt_tokens == second.prompt_tokens
    assert first.completion_tokens == second.completion_tokens


def test_llama_cpp_respects_max_tokens(llama_generator):
    story = [{"role": "user", "content": "Write a long story about a dragon."}]
    assert llama_generator.generate(story, max_tokens=4).completion_tokens == 4


def test_llama_cpp_calls_from_threads_are_serialised(llama_generator):
    results: list[Generation] = []
    def ask() -> None:
        results.append(llama_generator.generate(MESSAGES, max_tokens=8))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert len({r.text for r in results}) == 1


def test_prompt_too_long_for_context_is_a_model_error(llama_generator):
    huge = [{"role": "user", "content": "word " * 2000}]
    with pytest.raises(ModelError, match="generation failed"):
        llama_generator.generate(huge, max_tokens=8)


def test_transformers_generates(smollm2):
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    generator = load_generator(smollm2, runtime="transformers", n_threads=2)
    assert generator.name == "smollm2-135m-instruct-q4_1@transformers"
    check(generator.generate(MESSAGES, max_tokens=16))


def test_auto_picks_llama_cpp(smollm2):
    assert load_generator(smollm2, context_tokens=256).name.endswith("@llama.cpp")


def test_file_that_is_not_gguf_is_a_model_error(tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"this is not a model at all")
    model = ModelFile("fake", fake, "gguf")
    for runtime in ("auto", "llama.cpp", "transformers"):
        with pytest.raises(ModelError, match="not a GGUF file"):
            load_generator(model, runtime=runtime)


def test_truncated_gguf_is_a_model_error(tmp_path, smollm2):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(smollm2.path.read_bytes()[:4096])
    with pytest.raises(ModelError, match="could not load model"):
        load_generator(ModelFile("broken", broken, "gguf"), runtime="llama.cpp")


def test_unknown_runtime_and_folder_on_llama_cpp_are_model_errors(tmp_path, smollm2):
    with pytest.raises(ModelError, match="unknown runtime 'onnx'"):
        load_generator(smollm2, runtime="onnx")
    with pytest.raises(ModelError, match="needs a .gguf file"):
        load_generator(ModelFile("folder", Path(tmp_path), "hf_folder"), runtime="llama.cpp")


def test_missing_runtime_package_is_a_model_error(monkeypatch, smollm2):
    import sys

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelError, match=r"'llama.cpp' is not installed \(pip install llama-cpp-python\)"):
        load_generator(smollm2, runtime="llama.cpp")


# -- the answer prompt's fixed part, evaluated once and kept (LlamaCppGenerator.prime) ------------

EXAMPLE = [
    {"role": "system", "content": "Answer from the numbered evidence only, in one sentence, citing it."},
    {"role": "user", "content": "Evidence:\n[1] The ministers met in Geneva on Monday.\n\nQuestion: Where did they meet?"},
    {"role": "assistant", "content": "They met in Geneva [1]."},
]
PROBE = EXAMPLE + [{"role": "user", "content": "Evidence:\n\n\nQuestion: "}]
QUESTION = EXAMPLE + [{"role": "user", "content": "Evidence:\n[1] Talks resume in Vienna on Friday after a "
                                                  "pause.\n\nQuestion: When do the talks resume?"}]


def fresh_llama(smollm2):
    return load_generator(smollm2, runtime="llama.cpp", n_threads=2, context_tokens=512)


def evaluated_batches(generator) -> list[int]:
    """Spies on how many tokens each llama.cpp evaluation is given."""
    sizes: list[int] = []
    inner = generator._llm.eval

    def spy(tokens):
        sizes.append(len(tokens))
        return inner(tokens)

    generator._llm.eval = spy
    return sizes


def test_a_primed_prefix_is_reused_and_changes_no_answer(smollm2, tmp_path):
    plain = fresh_llama(smollm2).generate(QUESTION, max_tokens=24)

    primed = fresh_llama(smollm2)
    primed.prime(PROBE, tmp_path)
    batches = evaluated_batches(primed)
    answer = primed.generate(QUESTION, max_tokens=24)
    assert (answer.text, answer.completion_tokens) == (plain.text, plain.completion_tokens)
    assert batches[0] < plain.prompt_tokens - 40, "the chat template's prefix was not matched"

    (saved,) = tmp_path.glob("smollm2-*.kv")
    written = saved.stat().st_mtime_ns
    restarted = fresh_llama(smollm2)  # as the next process starts: restores instead of evaluating
    batches = evaluated_batches(restarted)
    restarted.prime(PROBE, tmp_path)
    assert batches == [1], "the saved prompt was evaluated again"
    assert saved.stat().st_mtime_ns == written
    assert restarted.generate(QUESTION, max_tokens=24).text == plain.text


@pytest.mark.parametrize("damage", [lambda data: b"not a saved prompt" * 100, lambda data: data[:-1]],
                         ids=["junk", "truncated"])  # llama.cpp itself aborts the process on a truncated state
def test_a_damaged_saved_prompt_is_evaluated_again(smollm2, tmp_path, damage):
    fresh_llama(smollm2).prime(PROBE, tmp_path)
    (saved,) = tmp_path.glob("*.kv")
    whole = saved.read_bytes()
    saved.write_bytes(damage(whole))
    generator = fresh_llama(smollm2)
    assert generator.prime(PROBE, tmp_path).completion_tokens == 1
    assert generator.generate(QUESTION, max_tokens=24).text == fresh_llama(smollm2).generate(QUESTION, 24).text
    assert len(saved.read_bytes()) == len(whole), "the damaged file was not replaced"


def test_a_cache_that_cannot_be_written_costs_only_the_saving(smollm2, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    assert fresh_llama(smollm2).prime(PROBE, blocked / "prompt-state").completion_tokens == 1
