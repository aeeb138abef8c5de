-- Digests generated ahead of their posting time. A digest is only as good as the corpus and
-- the model that wrote it, so both are part of the key: an ingest (a new corpus version) or
-- another model makes the stored digest stale rather than wrong.
CREATE TABLE digests (
    day            TEXT NOT NULL,         -- the corpus day summarised, YYYY-MM-DD
    corpus_version TEXT NOT NULL,
    model          TEXT NOT NULL,         -- the model and digest rules that wrote it
    digest         TEXT NOT NULL,         -- JSON, as Digest.to_dict()
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (day, corpus_version, model)
);
