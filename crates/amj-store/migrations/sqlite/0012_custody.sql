-- Custody (issue 14): who holds an asset of a checkoutable type.

-- The schema's custody policy: the statuses a check-out and a check-in move an asset to (unset:
-- the first status of the "In use" or "Available" category), and which types can be checked out.
ALTER TABLE asset_schema ADD COLUMN checked_out_status_id INTEGER
    REFERENCES asset_status (id) ON DELETE SET NULL;
ALTER TABLE asset_schema ADD COLUMN available_status_id INTEGER
    REFERENCES asset_status (id) ON DELETE SET NULL;

CREATE TABLE custody_type (
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL REFERENCES asset_type (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, schema_id, type_id)
) WITHOUT ROWID;

-- The check-out in force, one row per asset out. The primary key is the invariant: an asset has
-- at most one holder, whatever races. A holder is a person (holder_account) or an asset
-- (holder_asset_id, for a location or a carrier such as a laptop holding its dock).
CREATE TABLE asset_custody (
    asset_id INTEGER PRIMARY KEY REFERENCES asset (id),
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    holder_kind TEXT NOT NULL,
    holder_account TEXT,
    holder_asset_id INTEGER REFERENCES asset (id),
    since INTEGER NOT NULL,
    by_actor TEXT NOT NULL,
    -- Days since 1970-01-01 (UTC). Overdue is derived from it, never stored.
    due_day INTEGER,
    issue_key TEXT,
    note TEXT NOT NULL
);

-- "My assets", what an asset carries, the overdue list, and what was handed out for an issue.
CREATE INDEX asset_custody_by_account ON asset_custody (tenant_id, holder_account, asset_id)
    WHERE holder_account IS NOT NULL;
CREATE INDEX asset_custody_by_holder_asset ON asset_custody (holder_asset_id)
    WHERE holder_asset_id IS NOT NULL;
CREATE INDEX asset_custody_by_due ON asset_custody (tenant_id, due_day, asset_id)
    WHERE due_day IS NOT NULL;
CREATE INDEX asset_custody_by_issue ON asset_custody (tenant_id, issue_key)
    WHERE issue_key IS NOT NULL;

-- Check-outs that ended: the asset's loans and the issues it served, after it came back.
CREATE TABLE asset_loan (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    asset_id INTEGER NOT NULL REFERENCES asset (id),
    holder_kind TEXT NOT NULL,
    holder_account TEXT,
    holder_asset_id INTEGER,
    since INTEGER NOT NULL,
    by_actor TEXT NOT NULL,
    due_day INTEGER,
    issue_key TEXT,
    note TEXT NOT NULL,
    returned_at INTEGER NOT NULL,
    returned_by TEXT NOT NULL,
    return_condition TEXT NOT NULL,
    return_note TEXT NOT NULL
);

CREATE INDEX asset_loan_by_asset ON asset_loan (asset_id, since);
CREATE INDEX asset_loan_by_issue ON asset_loan (tenant_id, issue_key)
    WHERE issue_key IS NOT NULL;

-- Idempotency keys of verbs (`Idempotency-Key`): the response of the write that first used a key,
-- written in that write's transaction, so a retry gets the same answer and never a second effect.
CREATE TABLE idempotency_key (
    tenant_id INTEGER NOT NULL,
    idem_key TEXT NOT NULL,
    -- What the request was (method, path and body hashed): the same key with another request is
    -- refused, not answered with the first one's response.
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, idem_key)
);

CREATE INDEX idempotency_key_by_age ON idempotency_key (tenant_id, created_at);
