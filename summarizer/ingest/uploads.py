"""Uploaded articles become files in the corpus folder: the file, not the upload, is the record."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from summarizer.ingest.documents import ARTICLE_SUFFIXES


class UploadNotSaved(Exception):
    """The upload could not be written; the message says why and that nothing was ingested."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(reason)
        self.filename = filename


def safe_filename(filename: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name).strip("._") or "upload"
    # The suffix picks the reader (text, Markdown, HTML); anything else is read as text.
    return safe if Path(safe).suffix.lower() in ARTICLE_SUFFIXES else safe + ".txt"


async def save_upload(folder: Path, filename: str, data: bytes) -> Path:
    """Write ``data`` to ``folder`` under a safe name, atomically; raises UploadNotSaved."""
    safe = safe_filename(filename)
    target = folder / safe
    tmp = target.with_suffix(".part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(tmp.write_bytes, data)
        tmp.rename(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UploadNotSaved(safe, f"cannot save it in {folder} ({exc.strerror}); nothing was ingested") from None
    return target
