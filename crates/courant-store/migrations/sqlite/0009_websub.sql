-- WebSub subscriptions, one per source: the hub, the topic, the secret
-- deliveries are signed with, when it was asked for and until when the hub
-- confirmed it (NULL until the hub's verification arrives).
CREATE TABLE websub (
    source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    secret TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    lease_until TEXT
);
