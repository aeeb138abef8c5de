"""The `briefbot` command as a user runs it: a real process, real store, real models."""

import json
import os
import subprocess
import sys
from pathlib import Path


from tests.conftest import CORPUS

BRIEFBOT = [sys.executable, "-m", "bot.cli"]


def run(*args: str, db: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    environment = os.environ | {"BRIEFBOT_DB": str(db), "BRIEFBOT_CORPUS": str(CORPUS),
                                "BRIEFBOT_MODEL": "smollm2", "BRIEFBOT_MODEL_CACHE": str(db.parent / "models"),
                                "DISCORD_TOKEN": ""} | env
    return subprocess.run([*BRIEFBOT, *args], capture_output=True, text=True, env=environment, cwd=db.parent,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_search_json_puts_the_lavrov_visit_first(db_copy):
    result = run("search", "Asian NATO", "--json", db=db_copy)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)["results"][0]
    assert first["article_id"][:3] in {"002", "003"}
    assert {"title", "source", "published", "score", "text"} <= set(first)


def test_ask_json_has_the_documented_shape(db_copy):
    result = run("ask", "What did Lavrov say about the Quad?", "--json", db=db_copy)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["mode"] in {"generated", "extractive"} and answer["citations"]
    assert set(answer["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert answer["model"].startswith("smollm2")
    assert "Traceback" not in result.stderr


def test_ask_imports_no_heavy_library(db_copy):
    """A one-shot ask pays for every import: the question is embedded in NumPy and the model runs
    in its own process, so neither torch nor the libraries built on it are loaded."""
    code = ("import sys, bot.cli\n"
            "status = bot.cli.main(sys.argv[1:])\n"
            "heavy = ('torch', 'transformers', 'sentence_transformers', 'sklearn', 'scipy', 'discord', 'aiohttp')\n"
            "print('heavy:', ' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
            "sys.exit(status)\n")
    environment = os.environ | {"BRIEFBOT_DB": str(db_copy), "BRIEFBOT_MODEL": "smollm2",
                                "BRIEFBOT_MODEL_CACHE": str(db_copy.parent / "models"), "DISCORD_TOKEN": ""}
    result = subprocess.run([sys.executable, "-c", code, "ask", "What did Lavrov say about the Quad?", "--json",
                             "--no-cache"], capture_output=True, text=True, env=environment, cwd=db_copy.parent,
                            timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["citations"]
    assert result.stderr.splitlines()[-1] == "heavy: ", result.stderr


def test_reingest_of_unchanged_corpus_does_no_embedding(db_copy):
    result = run("ingest", db=db_copy)
    assert result.returncode == 0, result.stderr
    assert "5 unchanged" in result.stdout and "nothing to embed" in result.stdout


def test_bad_files_are_named_one_line_each_and_exit_non_zero(db_copy, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes(b"caf\xe9 " * 40)
    (folder / "good.txt").write_text("---\ntitle: Good\npublished: 2024-03-01\n---\n"
                                     "A perfectly ordinary article about talks in Geneva on Monday.\n")
    result = run("ingest", str(folder), db=db_copy)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("briefbot: ")]
    assert any("empty.txt" in e and "empty" in e for e in errors)
    assert any("latin1.txt" in e and "UTF-8" in e for e in errors)
    assert "1 added" in result.stdout and "Traceback" not in result.stderr


def test_corrupt_database_is_kept_and_reported_in_one_line(tmp_path):
    db = tmp_path / "briefbot.db"
    db.write_bytes(b"not sqlite at all" * 64)
    result = run("sources", db=db)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "corrupt" in result.stderr
    assert list(tmp_path.glob("briefbot.db.corrupt-*"))


def test_eval_prints_a_table_and_totals(db_copy, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "n1", "q": "Who won the 2022 FIFA World Cup final?", "refuse": true}\n')
    result = run("eval", str(questions), db=db_copy)
    assert "n1" in result.stdout and "correct 1/1" in result.stdout


def test_digest_json_groups_the_day_into_stories(db_copy):
    result = run("digest", "--date", "2022-01-05", "--json", db=db_copy)
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)
    assert digest["date"] == "2022-01-05"
    [story] = digest["stories"]  # the two January 2022 pieces are one story
    assert story["sources"] == 2 and "[1]" in story["summary"]


def test_bad_date_is_a_usage_error(db_copy):
    result = run("ask", "anything", "--since", "yesterday", db=db_copy)
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


def test_console_answers_are_not_lost_while_the_model_loads(db_copy):
    """The model loads in the background when the console starts; its loader must not
    silence the process's stdout meanwhile (llama-cpp-python's quiet mode does)."""
    result = subprocess.run([*BRIEFBOT, "chat"], input="/sources\n/search Kudankulam\n", capture_output=True,
                            text=True, timeout=180, cwd=db_copy.parent,
                            env=os.environ | {"BRIEFBOT_DB": str(db_copy), "BRIEFBOT_MODEL": "smollm2",
                                              "DISCORD_TOKEN": ""})
    assert result.returncode == 0, result.stderr
    assert "Kudankulam" in result.stdout and "Hindustan Times" in result.stdout
    assert "Loading weights" not in result.stderr


CRASHING_RUNTIME = '''
import os, signal, sys

class _CrashOnLlamaImport:
    """Stands in for a native runtime that faults: importing llama_cpp kills the process."""
    def find_spec(self, name, path=None, target=None):
        if name == "llama_cpp":
            os.kill(os.getpid(), signal.SIGSEGV)
        return None

sys.meta_path.insert(0, _CrashOnLlamaImport())
'''


def test_doctor_checks_every_part_and_passes_on_a_working_machine(db_copy):
    result = run("doctor", db=db_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [
        ["ok", "database"], ["ok", "embedder"], ["ok", "answer", "model"][:2], ["--", "discord"]]
    assert "smollm2-135m-instruct-q4_1@llama.cpp in its own process generated" in result.stdout
    assert "DISCORD_TOKEN" in lines[-1]
    assert not result.stderr.strip(), result.stderr


def test_doctor_fails_with_one_line_naming_cause_and_fix_when_the_model_crashes(db_copy, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(CRASHING_RUNTIME)
    result = run("doctor", db=db_copy, PYTHONPATH=os.pathsep.join([str(hooks), *sys.path]))
    assert result.returncode == 1
    (failure,) = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert "answer model" in failure and "SIGSEGV" in failure and "fix: try BRIEFBOT_RUNTIME=transformers" in failure
    assert "cannot answer questions" in result.stdout.splitlines()[-1]
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_fails_when_there_is_no_database(tmp_path):
    result = run("doctor", db=tmp_path / "absent.db", BRIEFBOT_MODEL="nothing-here")
    assert result.returncode == 1
    failures = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert len(failures) == 2
    assert "absent.db does not exist; fix: run `briefbot ingest`" in failures[0]
    assert "'nothing-here' not found" in failures[1]
    assert "Traceback" not in result.stdout + result.stderr
