-- The CISA Known Exploited Vulnerabilities catalogue, replaced whole by `kev update`.
CREATE TABLE kev (
    cve                TEXT PRIMARY KEY,
    date_added         TEXT NOT NULL,
    name               TEXT NOT NULL,
    known_ransomware   INTEGER NOT NULL DEFAULT 0
);
