-- Requests approved in Jira (issue 14): a person asks, on an issue, for an asset of a type or a
-- kit; the issue's workflow approves or rejects it (see amj_domain::request).

CREATE TABLE asset_request (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    -- The issue by id (stable when it moves project); the key is cached for people and queries.
    issue_id INTEGER NOT NULL,
    issue_key TEXT NOT NULL,
    -- What is wanted, as typed JSON (amj_domain::request::Wanted).
    wanted TEXT NOT NULL,
    -- What is wanted in words as it was asked for ("a Laptop", "the kit New starter").
    what TEXT NOT NULL,
    account_id TEXT NOT NULL,
    note TEXT NOT NULL,
    -- pending, approved, fulfilled or released.
    state TEXT NOT NULL,
    -- Whether the issue ever approved it: one done after approval keeps it.
    ever_approved BOOLEAN NOT NULL,
    -- The issue's status as last read, and Jira's "updated" time of that read (ms): a read
    -- older than the one applied is stale and changes nothing, whatever order cues arrive in.
    issue_status TEXT NOT NULL,
    issue_seen INTEGER NOT NULL,
    -- When the app last read the issue for it: the sweep re-reads live requests not read for
    -- an hour, so a lost event leaves no request on a stale verdict for long.
    checked_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Settling reads an issue's live requests by id, the issue panel by key, and the fulfilment
-- queue a schema's, by state.
CREATE INDEX asset_request_of_issue ON asset_request (tenant_id, issue_id);
CREATE INDEX asset_request_by_key ON asset_request (tenant_id, issue_key, id);
CREATE INDEX asset_request_queue ON asset_request (tenant_id, schema_id, state, id);
CREATE INDEX asset_request_unchecked ON asset_request (checked_at)
    WHERE state IN ('pending', 'approved');

-- Assets set aside for an approved request. The primary key is the rule: an asset is reserved
-- for one request at most. Check-outs and kit picks skip reserved assets.
CREATE TABLE asset_reservation (
    asset_id INTEGER PRIMARY KEY REFERENCES asset (id),
    tenant_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL REFERENCES asset_request (id),
    -- The kit part it stands for (0 for a request of a type).
    part INTEGER NOT NULL,
    since INTEGER NOT NULL
);

CREATE INDEX asset_reservation_of_request ON asset_reservation (request_id);

-- A request's path, step by step, as the issue shows it (typed JSON:
-- amj_domain::request::RequestEvent).
CREATE TABLE request_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL REFERENCES asset_request (id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL
);

CREATE INDEX request_event_of_request ON request_event (request_id, id);
