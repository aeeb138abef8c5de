-- Articles, their passages and sentences, with embeddings stored beside the text
-- so that retrieval and SQL read one store.
CREATE TABLE articles (
    id           TEXT PRIMARY KEY,          -- file stem, e.g. 000_3c39da0ccd92dc23
    path         TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    title        TEXT NOT NULL,
    source       TEXT,
    published    TEXT,                      -- YYYY-MM-DD or NULL when unknown
    url          TEXT,
    body         TEXT NOT NULL,             -- cleaned text; passage offsets point into it
    story_id     TEXT NOT NULL,             -- articles of one story share it
    ingested_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_story ON articles(story_id);

CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    text       TEXT NOT NULL,
    embedding  BLOB NOT NULL                -- float32, normalised
);
CREATE INDEX passages_article ON passages(article_id);

CREATE TABLE sentences (
    id         INTEGER PRIMARY KEY,
    passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    text       TEXT NOT NULL,
    embedding  BLOB NOT NULL
);
CREATE INDEX sentences_passage ON sentences(passage_id);
CREATE INDEX sentences_article ON sentences(article_id);

CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, content='passages', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta(key, value) VALUES ('corpus_version', '0');

CREATE TABLE answer_cache (
    key        TEXT PRIMARY KEY,
    question   TEXT NOT NULL,
    response   TEXT NOT NULL,               -- JSON
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE ask_log (
    id         INTEGER PRIMARY KEY,
    asked_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    mode       TEXT NOT NULL,
    cached     INTEGER NOT NULL,
    total_ms   REAL NOT NULL
);

CREATE TABLE subscriptions (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER,
    post_time  TEXT NOT NULL,               -- HH:MM local
    timezone   TEXT NOT NULL,               -- IANA name
    created_by INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE deliveries (
    channel_id   INTEGER NOT NULL,
    day          TEXT NOT NULL,             -- the subscriber's local date
    digest_date  TEXT,                      -- the corpus day that was summarised
    message_id   INTEGER,
    delivered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (channel_id, day)
);
