-- The database's identity: caches (the search index) tell a recreated
-- database from the one they follow.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))));
