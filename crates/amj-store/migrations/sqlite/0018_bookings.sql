-- Bookings (issue 15): an asset, or a kit's assets, reserved for a person over a time range.
-- See the PostgreSQL migration for the columns.

CREATE TABLE booking (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    kit_id INTEGER,
    kit_name TEXT,
    issue_key TEXT,
    note TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    picked_up_at INTEGER,
    picked_up_by TEXT,
    closed_at INTEGER,
    closed_by TEXT,
    CHECK (starts_at < ends_at)
);

CREATE INDEX booking_by_start ON booking (tenant_id, schema_id, starts_at);
CREATE INDEX booking_by_account ON booking (tenant_id, account_id, starts_at);

CREATE TABLE booking_asset (
    booking_id INTEGER NOT NULL REFERENCES booking (id),
    asset_id INTEGER NOT NULL REFERENCES asset (id),
    tenant_id INTEGER NOT NULL,
    part INTEGER,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    released BOOLEAN NOT NULL DEFAULT FALSE,
    returned_at INTEGER,
    PRIMARY KEY (booking_id, asset_id)
) WITHOUT ROWID;

CREATE INDEX booking_asset_by_asset ON booking_asset (asset_id, ends_at)
    WHERE NOT released;
CREATE INDEX booking_asset_of_asset ON booking_asset (asset_id, starts_at);

-- SQLite has no exclusion constraints. These triggers are the same invariant, checked inside
-- the writing statement: SQLite has one writer at a time, so no second write can slip between
-- the check and the row (the store's own check first gives the friendlier message; these are
-- the backstop, and the concurrency tests hold both backends to it).
CREATE TRIGGER booking_asset_no_overlap_insert BEFORE INSERT ON booking_asset
WHEN NOT NEW.released
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM booking_asset b
        WHERE b.asset_id = NEW.asset_id AND NOT b.released
          AND b.starts_at < NEW.ends_at AND b.ends_at > NEW.starts_at
    );
END;

CREATE TRIGGER booking_asset_no_overlap_update
BEFORE UPDATE OF asset_id, starts_at, ends_at, released ON booking_asset
WHEN NOT NEW.released
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM booking_asset b
        WHERE b.asset_id = NEW.asset_id AND NOT b.released
          AND b.starts_at < NEW.ends_at AND b.ends_at > NEW.starts_at
          AND NOT (b.booking_id = OLD.booking_id AND b.asset_id = OLD.asset_id)
    );
END;
