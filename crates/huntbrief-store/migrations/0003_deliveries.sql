-- The webhook outbox: one row per (webhook URL, briefing), written in the transaction that
-- first stores the briefing, so a crash can neither lose nor repeat an announcement.
CREATE TABLE deliveries (
    webhook      TEXT NOT NULL,
    briefing_id  TEXT NOT NULL,
    queued_at    INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     INTEGER,          -- unix seconds; NULL once delivered or given up
    delivered_at INTEGER,
    last_error   TEXT,
    PRIMARY KEY (webhook, briefing_id)
);

CREATE INDEX deliveries_due ON deliveries (webhook, next_try) WHERE next_try IS NOT NULL;
