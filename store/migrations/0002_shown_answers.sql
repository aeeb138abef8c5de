-- Every answer the bot has shown with citations, by a hash of its content, so a
-- "Show evidence" button can find its passages for as long as its message exists
-- (across restarts, re-ingests and the answers that are never cached).
CREATE TABLE shown_answers (
    ref        TEXT PRIMARY KEY,
    response   TEXT NOT NULL,               -- JSON, as Answer.to_dict()
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
