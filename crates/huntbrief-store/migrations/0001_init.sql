-- Sources polled by the pipeline, with their HTTP validators and schedule.
CREATE TABLE sources (
    url           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,              -- feed | ghsa | kev
    origin        TEXT NOT NULL,              -- builtin | config | user
    enabled       INTEGER NOT NULL DEFAULT 1,
    etag          TEXT,
    last_modified TEXT,
    next_due      INTEGER NOT NULL DEFAULT 0, -- unix seconds
    failures      INTEGER NOT NULL DEFAULT 0, -- consecutive
    last_error    TEXT,
    last_ok       INTEGER
);

-- One row per story (canonical URL), with the text analysed and its briefing.
CREATE TABLE articles (
    url         TEXT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    published   TEXT,
    first_seen  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    text_hash   TEXT NOT NULL,   -- of the text analysed
    body        TEXT NOT NULL,   -- summary | full
    text        TEXT NOT NULL,
    briefing    TEXT NOT NULL    -- JSON
);

-- Every source that carried a story, with a hash of its entry as last seen there:
-- an unchanged entry needs no new fetch.
CREATE TABLE article_sources (
    article_url TEXT NOT NULL REFERENCES articles(url) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (article_url, source)
);

CREATE TABLE runs (
    id        INTEGER PRIMARY KEY,
    started   INTEGER NOT NULL,
    finished  INTEGER,
    new       INTEGER NOT NULL DEFAULT 0,
    updated   INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    errors    TEXT NOT NULL DEFAULT ''
);
