"""One figure in a fresh process: ``python -m benchmarks.probe NAME PARAMS.json RESULT.json``.

The parent reads the child's peak RSS with ``os.wait4``; a probe that also runs its
baseline in-process records its own RSS before the baseline starts (``peak_rss_mb``).
Probe modules are imported lazily, so a probe pays only for the libraries it uses."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import sys
from pathlib import Path

PROBES = {
    "ingest": "benchmarks.ingest:measure",
    "retrieval": "benchmarks.retrieval:measure",
    "answers": "benchmarks.answers:measure",
    "event_loop": "benchmarks.eventloop:measure",
    "feeds": "benchmarks.feeds:measure",
    "ours_transformers": "benchmarks.runtimes:ours_transformers",
    "raw_transformers": "benchmarks.runtimes:raw_transformers",
}


def main(argv: list[str]) -> int:
    name, params_file, result_file = argv
    module_name, function_name = PROBES[name].split(":")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    function = getattr(importlib.import_module(module_name), function_name)
    params = json.loads(Path(params_file).read_text(encoding="utf-8"))
    result = function(params)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    Path(result_file).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
