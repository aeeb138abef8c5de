"""Storage failures at start: a corrupt database is kept (moved aside, never overwritten) and
the bot refuses to start; on a read-only disk the bot answers from what is stored, reports
every write it cannot make, and leaves every file as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import BRIEFBOT, BotFiles, assert_no_pings, assert_no_rejections, citations_of

READ_ONLY_MOUNT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def damage_pages(db: Path) -> None:
    """Overwrite the middle of a real database: the header is fine, the b-trees are not."""
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16384] = os.urandom(16384)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a database", "damaged pages"])
async def test_corrupt_database_is_kept_and_the_bot_refuses_to_start(double: DiscordDouble, launch, files, damage,
                                                                     figures):
    if damage == "not a database":
        files.db.write_bytes(b"this is not a database\n" * 4096)
    else:
        damage_pages(files.db)
    original = files.db.read_bytes()

    bot = await launch(wait=False)
    code = await bot.wait(timeout=60)
    err = bot.stderr_path.read_text()
    assert code != 0, "the bot started on a corrupt database"
    assert "corrupt" in err and "Traceback" not in err, err
    kept = [p for p in files.db.parent.iterdir() if p.name.startswith(files.db.name + ".corrupt")]
    assert len(kept) == 1, f"expected the corrupt file moved aside, found {os.listdir(files.db.parent)}"
    assert kept[0].read_bytes() == original, "the corrupt file was changed"
    assert str(kept[0]) in err, "the message does not say where the file went"
    assert not files.db.exists(), "a new database was created in place of the corrupt one"
    assert not double.gateway.connections, "the bot connected anyway"
    figures.update(exit_code=code, moved_aside_as=kept[0].name)


def read_only_command(folder: Path) -> list[str] | None:
    """A prefix that runs a command with ``folder`` on a read-only mount (a private mount
    namespace: nothing outside the test sees it), or None where that is not possible."""
    if not shutil.which("unshare"):
        return None
    prefix = ["unshare", "--map-root-user", "--mount", "sh", "-c", READ_ONLY_MOUNT, "sh", str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", f'! touch "{folder}/probe"'], capture_output=True)
    return prefix if probe.returncode == 0 and not (folder / "probe").exists() else None


async def test_read_only_disk_answers_and_reports_writes(double: DiscordDouble, launch, files: BotFiles, figures):
    prefix = read_only_command(files.home)
    if prefix is None:
        pytest.skip("cannot mount read-only here (needs unshare with user namespaces)")
    before = snapshot(files.home)
    bot = await launch(argv=[*prefix, str(BRIEFBOT), "run"])
    admin, member = double.owner, double.add_user("reader")

    question = await double.say(member, "What did Lavrov say about the Quad?")
    (answer,) = await double.wait_for(lambda: double.replies_to(question["id"]), 90, "the answer")
    assert citations_of(answer), "not answered from the stored corpus"

    channel = double.channel_list[1]
    writes = {
        "subscribe": await double.slash(admin, "digest-subscribe", {"channel": channel, "time": "08:00",
                                                                    "timezone": "UTC"}),
        "ingest": await double.slash(admin, "ingest", attachments={"article": double.add_file(
            channel, "new.txt", b"---\ntitle: New\n---\nA new article about the Quad.", "text/plain")}),
    }
    for what, interaction in writes.items():
        (response,) = await double.wait_for(interaction.visible, 60, f"the answer to the {what}")
        assert interaction.ack_seconds < 3
        assert "read-only" in response.text.lower(), f"{what}: the failed write was not reported: {response.text!r}"

    again = await double.say(member, "What did Jaishankar discuss with Blinken?")
    await double.wait_for(lambda: double.replies_to(again["id"]), 90, "an answer after the failed writes")
    await bot.stop()
    assert snapshot(files.home) == before, "a file on the read-only disk changed"
    assert "Traceback" not in bot.log
    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(answered=2, writes_reported=len(writes))
