-- Feeds the bot follows, and every item it has seen in each, so a poll takes only what is
-- new and a crash mid-poll neither loses nor duplicates an article.
CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL UNIQUE,
    title          TEXT,
    every_s        INTEGER NOT NULL,        -- polling interval while the feed is healthy
    guild_id       INTEGER,
    added_by       INTEGER,
    added_at       TEXT NOT NULL,           -- UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ like every time here
    etag           TEXT,                    -- validators for the next conditional GET
    last_modified  TEXT,
    last_polled_at TEXT,
    last_ok_at     TEXT,
    last_error     TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,  -- consecutive failed polls; drives the backoff
    next_poll_at   TEXT NOT NULL,
    articles_taken INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feeds_next_poll ON feeds(next_poll_at);

CREATE TABLE feed_items (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    item_key   TEXT NOT NULL,               -- guid, else link, else a hash of title and date
    url        TEXT,
    state      TEXT NOT NULL CHECK (state IN ('stored', 'failed', 'duplicate')),
    article_id TEXT,                        -- no foreign key: an article may be re-ingested or pruned
    error      TEXT,
    attempts   INTEGER NOT NULL DEFAULT 1,  -- a retryable failure is tried again up to a limit
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (feed_id, item_key)
);

-- Before fetching an item the poller asks whether its URL, then its text, is already stored.
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_content_hash ON articles(content_hash);
