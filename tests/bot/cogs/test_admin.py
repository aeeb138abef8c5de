"""/ingest: only for Manage Server, with clear refusals for files that are not articles."""

from __future__ import annotations

import discord
import pytest

from tests.bot.harness import attachment_option

MANAGE_SERVER = discord.Permissions(manage_guild=True)
ARTICLE = """---
title: "Wang Yi and Jaishankar meet in Bali"
source: Test Wire
published: 2022-07-07
---
Bali: Chinese Foreign Minister Wang Yi met External Affairs Minister S Jaishankar on the sidelines of the G20.

The two ministers discussed the situation along the Line of Actual Control in eastern Ladakh.
"""


async def ingest(interactions, member, channel, path, *, filename=None, size=None, permissions=MANAGE_SERVER):
    picked, resolved = attachment_option("article", filename=filename or path.name, url=path.as_uri(),
                                         size=path.stat().st_size if size is None else size)
    return await interactions.slash("ingest", [picked], member=member, channel=channel, permissions=permissions,
                                    resolved=resolved)


async def test_an_attached_article_is_ingested(bot, alice, channel, interactions, engine, tmp_path):
    upload = tmp_path / "bali.txt"
    upload.write_text(ARTICLE, encoding="utf-8")

    sent = await ingest(interactions, alice, channel, upload)

    assert sent[0].ephemeral  # the deferral
    assert sent[-1].ephemeral and "Added bali.txt to the corpus" in sent[-1].content
    assert "Wang Yi and Jaishankar meet in Bali" in [s.title for s in await engine.sources()]


async def test_ingest_without_manage_server_is_refused(bot, alice, channel, interactions, engine, tmp_path):
    upload = tmp_path / "bali.txt"
    upload.write_text(ARTICLE, encoding="utf-8")

    sent = await ingest(interactions, alice, channel, upload, permissions=discord.Permissions(send_messages=True))

    assert len(sent) == 1 and sent[0].ephemeral and "Manage Server" in sent[0].content
    assert len(await engine.sources()) == 5


@pytest.mark.parametrize("filename, content, complaint", [
    ("report.pdf", b"%PDF-1.7 ...", "is not an article file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary.txt: binary file, not text"),
    ("latin1.txt", "Caf\u00e9 diplomacy in Paris".encode("latin-1"), "latin1.txt: not UTF-8 text"),
    ("blank.txt", b"   \n\n  ", "blank.txt: empty file"),
])
async def test_a_malformed_attachment_gets_a_clear_error(bot, alice, channel, interactions, engine, tmp_path,
                                                         filename, content, complaint):
    upload = tmp_path / filename
    upload.write_bytes(content)

    sent = await ingest(interactions, alice, channel, upload)

    assert sent[-1].ephemeral and complaint in sent[-1].content
    assert len(await engine.sources()) == 5


async def test_an_oversized_attachment_is_refused_before_downloading(bot, alice, channel, interactions, tmp_path):
    missing = tmp_path / "huge.txt"  # never written: downloading it would fail differently

    sent = await ingest(interactions, alice, channel, missing, size=6 * 1024 * 1024)

    assert len(sent) == 1 and sent[0].ephemeral
    assert "6.0 MB; articles can be at most 5 MB" in sent[0].content


async def test_the_engines_reason_is_reported_when_ingest_fails(bot, alice, channel, interactions, engine,
                                                                tmp_path, monkeypatch):
    upload = tmp_path / "odd.txt"
    upload.write_text("Just a line.", encoding="utf-8")
    report = type(await engine.ingest([]))(failed=[("odd.txt", "no article text after removing boilerplate")])

    async def failing_upload(filename, data):
        return report
    monkeypatch.setattr(engine, "ingest_upload", failing_upload)

    sent = await ingest(interactions, alice, channel, upload)

    assert "Could not ingest odd.txt: no article text after removing boilerplate" in sent[-1].content
