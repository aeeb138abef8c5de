-- Who speaks in each sentence, and whether the sentence carries that speaker's own words
-- (a quotation or a transcript turn) rather than the reporter's. Computed at ingest
-- (summarizer/ingest/attribution.py); sentences stored before this migration are filled in
-- by the next ingest, which compares meta 'attribution_version' with the rules' version.
ALTER TABLE sentences ADD COLUMN speaker TEXT;
ALTER TABLE sentences ADD COLUMN verbatim INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sentences_speaker ON sentences(speaker) WHERE verbatim = 1;
