"""Small, dated articles written into tmp_path for tests that need a corpus they control
(stories, digests, filters), and an engine over an empty database to ingest them with the
real ingest path.

Two reports of one event (the Reykjavik cod accord) share names, numbers and phrases but
are written differently (TF-IDF similarity about 0.37: the same event, not a copy); the
rail strike and the volcano are unrelated."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncIterator

from summarizer.engine import Engine, EngineConfig

COD_ACCORD = """\
Norwegian fisheries minister Ingrid Solberg and her Icelandic counterpart Bjarni Einarsson signed the Reykjavik cod quota accord on Monday, ending a four-year dispute over Barents Sea fishing rights.

Under the accord, Norwegian trawlers will land 41,000 tonnes of Atlantic cod a year in Icelandic waters, while Icelandic vessels gain access to the Svalbard shelf.

"This accord protects our coastal communities and the cod stock alike," Solberg told reporters in Reykjavik.

Einarsson said the quota would be reviewed every three years by a joint scientific council.
"""

COD_CREWS = """\
Skippers in Tromsø and Hammerfest celebrated on Monday after ministers Ingrid Solberg and Bjarni Einarsson signed the cod quota accord in Reykjavik, ending the four-year dispute over Barents Sea fishing rights.

Many crews had spent winters tied up in port while diplomats argued, said harbour master Lars Nilsen, who expects the fleet to sail within weeks.

Some captains grumbled that the Norwegian share of 41,000 tonnes was smaller than they had hoped, and processing plants warned of price falls.

Marine biologists welcomed a promise of regular stock surveys, saying overfishing had pushed the cod population close to collapse.
"""

RAIL_STRIKE = """\
Commuter trains around Lyon stood still on Tuesday as signal workers walked out over night-shift pay, the regional rail operator said.

About 90,000 passengers were affected, and replacement buses ran only on the busiest routes between Villeurbanne and Part-Dieu station.

Union leader Camille Roux said the strike would continue until management reopened talks on overtime rates.

The operator said it expected a partial service to resume on Thursday.
"""

VOLCANO = """\
Authorities in southern Chile evacuated about 3,000 residents of Pucón on Sunday after the Villarrica volcano began spewing ash and lava fountains.

Geologist Marta Fuentes said seismic activity under the crater had tripled in forty-eight hours.

Schools in the region were closed and flights to Temuco were suspended until further notice.
"""

COD_ACCORD_TITLE = "Norway and Iceland sign Reykjavik cod quota accord"
COD_CREWS_TITLE = "Fishing crews cheer Reykjavik cod accord"
RAIL_TITLE = "Lyon commuter trains halted by signal workers' strike"
VOLCANO_TITLE = "Chilean volcano Villarrica forces evacuation of Pucón"


def write_article(folder: Path, name: str, title: str, body: str, *, published: str | None = None,
                  source: str | None = None) -> Path:
    """An article file with YAML front matter, as the corpus folder holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = [f'title: "{title}"']
    if source:
        meta.append(f"source: {source}")
    if published:
        meta.append(f"published: {published}")
    path = folder / f"{name}.txt"
    path.write_text("---\n" + "\n".join(meta) + "\n---\n" + body, encoding="utf-8")
    return path


def cod_accord(folder: Path, name: str = "cod_accord", published: str | None = "2024-03-05",
               source: str = "Nordic Wire") -> Path:
    return write_article(folder, name, COD_ACCORD_TITLE, COD_ACCORD, published=published, source=source)


def cod_crews(folder: Path, name: str = "cod_crews", published: str | None = "2024-03-05") -> Path:
    return write_article(folder, name, COD_CREWS_TITLE, COD_CREWS, published=published, source="Harbour Times")


def rail_strike(folder: Path, name: str = "rail_strike", published: str | None = "2024-03-05") -> Path:
    return write_article(folder, name, RAIL_TITLE, RAIL_STRIKE, published=published, source="Rail Gazette")


def volcano(folder: Path, name: str = "volcano", published: str | None = "2024-03-04") -> Path:
    return write_article(folder, name, VOLCANO_TITLE, VOLCANO, published=published, source="Andes Daily")


@contextlib.asynccontextmanager
async def empty_engine(tmp_path: Path, embedder, generator) -> AsyncIterator[Engine]:
    """An engine over a new, empty database whose corpus folder is ``tmp_path / "news"``."""
    config = EngineConfig(db_path=tmp_path / "controlled.db", corpus_dir=tmp_path / "news",
                          model_cache=tmp_path / "models", generation_timeout_s=5.0)
    engine = await Engine.open(config, generator=generator, embedder=embedder)
    try:
        yield engine
    finally:
        await engine.close()
