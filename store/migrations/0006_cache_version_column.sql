-- The corpus version an answer was computed on, kept beside it rather than hashed into its key:
-- a cache hit then checks the version in the same read as the lookup (one hand-off to SQLite's
-- thread instead of two). Keys made the old way never match again, so their rows go.
DELETE FROM answer_cache;
ALTER TABLE answer_cache ADD COLUMN corpus_version TEXT NOT NULL DEFAULT '';
