"""`briefbot` — the command line. Every failure is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import Awaitable, Callable

from pydantic import ValidationError

from bot.settings import Settings

log = logging.getLogger("briefbot")
EXIT_FAILED = 1
EXIT_USAGE = 2
REPO = Path(__file__).resolve().parents[1]


class CliError(Exception):
    """A failure to report in one line."""


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefbot", description="Cited diplomatic briefings from a local news corpus.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="ingest article files, folders or web pages (default: the corpus folder)")
    p.add_argument("paths", nargs="*", metavar="PATH_OR_URL",
                   help="a .txt, .md or .html file, a folder of them, or an article's http(s) address")
    p.add_argument("--prune", action="store_true", help="remove articles whose files are gone")

    p = sub.add_parser("feeds", help="follow RSS, Atom and JSON feeds: add, list, remove, poll")
    feeds = p.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    f = feeds.add_parser("add", help="follow a feed and poll it once now")
    f.add_argument("url")
    f.add_argument("--every", help="how often to poll, e.g. 30m, 2h (default: BRIEFBOT_FEED_EVERY)")
    feeds.add_parser("list", help="the feeds followed, with their last poll and last error")
    f = feeds.add_parser("remove", help="stop following a feed (its articles stay)")
    f.add_argument("feed", help="the feed's number from `briefbot feeds list`, or its address")
    f = feeds.add_parser("poll", help="poll the feeds once and exit (for cron)")
    f.add_argument("--all", action="store_true", help="every feed, not only those due")

    p = sub.add_parser("search", help="hybrid search over passages")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=5)
    _add_filters(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("sources", help="list the corpus")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="a short cited answer")
    p.add_argument("question")
    _add_filters(p)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="score answers against a questions file (JSONL)")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-cache", action="store_true")

    p = sub.add_parser("quality", help="score both dev sets and the verification probes; write docs/quality.md")
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                   help="the folder holding eval/, news-dev/ (default: ../shared)")
    p.add_argument("--out", type=Path, default=REPO / "docs", help="report folder (default: docs/)")
    p.add_argument("--no-probes", action="store_true", help="skip the verification probe set")

    p = sub.add_parser("digest", help="the digest for a day (default: the latest day with articles)")
    p.add_argument("--date", type=_date)
    p.add_argument("--json", action="store_true")

    sub.add_parser("doctor", help="check that this machine can answer: database, embedder, model, token")
    sub.add_parser("chat", help="the local console")
    sub.add_parser("run", help="Discord when DISCORD_TOKEN is set, otherwise the local console")

    p = sub.add_parser("sync", help="register slash commands with Discord")
    p.add_argument("--guild", type=int, help="sync to one server (instant) instead of globally")

    p = sub.add_parser("bench", help="benchmarks against the raw libraries")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, help="report folder (default: docs/ for a full run, data/bench-quick/ "
                                            "for --quick; a run with errors writes benchmarks.failed.*)")
    return parser


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, help="only articles published on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="only articles published on or before YYYY-MM-DD")
    p.add_argument("--source", help="only this outlet (case-insensitive substring)")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first["loc"][0] if first["loc"] else "setting"
        print(f"briefbot: bad setting {name}: {first['msg']}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _quiet_libraries()
    command = _COMMANDS[args.command]
    try:
        return asyncio.run(command(args, settings)) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        from store import StoreError
        from summarizer.results import QuestionError
        if not isinstance(exc, (CliError, StoreError, QuestionError, OSError)):
            log.debug("unexpected failure", exc_info=True)
        print(f"briefbot: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _quiet_libraries() -> None:
    for name in ("sentence_transformers", "transformers", "httpx", "huggingface_hub", "discord.gateway"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def _with_engine(settings: Settings, work: Callable, *, read_only: bool = False):
    from summarizer.engine import Engine
    engine = await Engine.open(settings.engine_config(read_only=read_only))
    try:
        return await work(engine)
    finally:
        await engine.close()


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# -- commands -----------------------------------------------------------------------------

def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


async def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    urls = [p for p in args.paths if _is_url(p)]
    paths = [Path(p) for p in args.paths if not _is_url(p)]

    async def work(engine):
        failed = False
        for url in urls:
            result = await engine.ingest_url(url)
            print(result.message, file=sys.stdout if result.ok else sys.stderr)
            failed |= not result.ok
        if urls and not paths:
            return EXIT_FAILED if failed else 0
        report = await engine.ingest(paths or None, prune=args.prune, progress=True)  # bar or log lines
        for name, reason in report.failed:
            print(f"briefbot: {name}: {reason}", file=sys.stderr)
        print(report.summary())
        if not report.failed:
            corpus = (await engine.stats()).corpus
            print(f"store {settings.db}: {corpus.articles} articles, {corpus.passages} passages, "
                  f"{corpus.stories} stories. Try: briefbot ask \"What did Lavrov say about the Quad?\"")
        return EXIT_FAILED if report.failed or failed else 0
    return await _with_engine(settings, work)


async def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.feeds import feed_added_text, feed_list_text, feed_removed_text, poll_text
    from summarizer.web.schedule import IntervalError, parse_interval

    every_s = None
    if getattr(args, "every", None):
        try:
            every_s = parse_interval(args.every, minimum_s=settings.feed_min_every)
        except IntervalError as exc:
            raise CliError(str(exc)) from None

    async def work(engine):
        action = args.feeds_command
        if action == "add":
            print(feed_added_text(await engine.add_feed(args.url, every_s=every_s)))
        elif action == "list":
            print(feed_list_text(await engine.feeds()))
        elif action == "remove":
            removed = await engine.remove_feed(args.feed)
            if removed is None:
                raise CliError(f"no feed {args.feed!r} is followed; `briefbot feeds list` shows them")
            print(feed_removed_text(removed))
        else:
            results = await engine.poll_feeds(due_only=not args.all)
            for result in results:
                print(poll_text(result))
            if not results:
                print("no feed is due" if not args.all else "no feeds are followed")
            return EXIT_FAILED if results and all(r.error for r in results) else 0
        return 0
    return await _with_engine(settings, work, read_only=args.feeds_command == "list")


async def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.text import format_search_text

    async def work(engine):
        hits = await engine.search(args.query, k=args.k, since=args.since, until=args.until, source=args.source)
        if args.json:
            _print_json({"query": args.query, "results": [h.to_dict() for h in hits]})
        else:
            print(format_search_text(hits))
        return 0
    return await _with_engine(settings, work, read_only=True)


async def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.text import format_sources_text

    async def work(engine):
        infos = await engine.sources()
        if args.json:
            _print_json([i.to_dict() for i in infos])
        else:
            print(format_sources_text(infos))
        return 0
    return await _with_engine(settings, work, read_only=True)


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.text import format_answer_text

    async def work(engine):
        # The model loads in its own process while this one embeds the question and retrieves;
        # a cache hit never uses it (closing the engine stops the half-loaded process).
        engine.start_model()
        answer = await engine.ask(args.question, since=args.since, until=args.until, source=args.source,
                                  use_cache=not args.no_cache)
        if args.json:
            _print_json(answer.to_dict())
        else:
            print(format_answer_text(answer))
        return 0
    return await _with_engine(settings, work)


async def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from summarizer.evaluation import format_report, load_questions, run_eval

    questions = load_questions(args.file)

    async def work(engine):
        report = await run_eval(engine, questions, use_cache=not args.no_cache)
        if args.json:
            _print_json(report.to_dict())
        else:
            print(format_report(report))
        return 0 if report.passed else EXIT_FAILED
    return await _with_engine(settings, work)


async def cmd_quality(args: argparse.Namespace, settings: Settings) -> int:
    from summarizer.quality import quality_report, write_report

    if not (args.shared / "eval").is_dir():
        raise CliError(f"{args.shared / 'eval'} not found; pass --shared FOLDER")
    probes = None
    if not args.no_probes:
        from summarizer.answering.probes import probe_report
        probes = await probe_report(settings.engine_config())  # before the dev sets: one model process at a time
    data = await quality_report(settings.engine_config(), REPO, args.shared, probes=probes)
    md, _ = write_report(data, args.out)
    for name, report in data["sets"].items():
        f = report["all"]
        print(f"{name}: in scope {f['in_scope_correct']}/{f['in_scope']}, out of scope answered "
              f"{f['out_of_scope_answered']}/{f['out_of_scope']}")
    print(f"wrote {md}")
    return 0


async def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.text import format_digest_text

    async def work(engine):
        digest = await engine.digest(args.date)
        if args.json:
            _print_json(digest.to_dict())
        else:
            print(format_digest_text(digest))
        return 0
    return await _with_engine(settings, work)


async def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from summarizer import health

    logging.getLogger("summarizer").setLevel(logging.CRITICAL)  # the check lines say it all
    print("briefbot doctor: checking that this machine can answer questions", flush=True)
    checks = [
        health.check_database(settings.db),
        health.check_embedder(),
        health.check_answer_model(settings.engine_config(read_only=True)),
    ]
    results = []
    for check in checks:  # one at a time, each line printed as soon as it is known
        result = await check
        results.append(result)
        print(_doctor_line(result), flush=True)
    token = health.check_discord_token(settings.discord_token is not None)
    print(_doctor_line(token))
    failed = [r.name for r in results if not r.ok and r.required]
    if failed:
        print(f"briefbot cannot answer questions on this machine: fix the {' and '.join(failed)} first.")
        return EXIT_FAILED
    return 0


def _doctor_line(check) -> str:
    mark = "ok  " if check.ok else ("FAIL" if check.required else "--  ")
    line = f"  {mark}  {check.name:<14} {check.detail}"
    return f"{line}; fix: {check.fix}" if check.fix and not check.ok else line


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    return await _with_engine(settings, lambda engine: run_console(engine, sys.stdin, sys.stdout))


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        print("DISCORD_TOKEN is not set: starting the local console (set it in .env to run on Discord).",
              file=sys.stderr)
        return await cmd_chat(args, settings)
    from bot.app import run_discord

    return await run_discord(settings)


async def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        raise CliError("DISCORD_TOKEN is not set; slash commands can only be synced with a bot token")
    from bot.app import sync_commands

    count = await sync_commands(settings, guild_id=args.guild)
    where = f"server {args.guild}" if args.guild else "all servers (may take up to an hour to appear)"
    print(f"synced {count} slash commands to {where}")
    return 0


async def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from benchmarks.run import run_benchmarks

    return await run_benchmarks(settings, quick=args.quick, as_json=args.json, out_dir=args.out)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "ingest": cmd_ingest, "feeds": cmd_feeds, "search": cmd_search, "sources": cmd_sources, "ask": cmd_ask, "eval": cmd_eval,
    "quality": cmd_quality,
    "digest": cmd_digest, "doctor": cmd_doctor, "chat": cmd_chat, "run": cmd_run, "sync": cmd_sync, "bench": cmd_bench,
}


if __name__ == "__main__":
    sys.exit(main())
