-- Bookings (issue 15): an asset, or a kit's assets, reserved for a person over a time range.

-- The exclusion constraint below compares asset ids with `=` in a GiST index, which needs
-- btree_gist (shipped with PostgreSQL, and a trusted extension: the database's owner may create
-- it without being a superuser).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE booking (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    -- The range, half-open [starts_at, ends_at), in epoch milliseconds.
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- The IANA zone it was booked in: pickup takes the due day from it.
    time_zone TEXT NOT NULL,
    -- The kit it was booked as (its name kept, should the kit be deleted).
    kit_id BIGINT,
    kit_name TEXT,
    issue_key TEXT,
    note TEXT NOT NULL,
    -- booked, picked_up, returned or cancelled (amj_domain::booking::BookingState).
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    picked_up_at BIGINT,
    picked_up_by TEXT,
    closed_at BIGINT,
    closed_by TEXT,
    CHECK (starts_at < ends_at)
);

-- Calendars read a schema's bookings over a window; "my bookings" a person's.
CREATE INDEX booking_by_start ON booking (tenant_id, schema_id, starts_at);
CREATE INDEX booking_by_account ON booking (tenant_id, account_id, starts_at);

-- The assets a booking holds, each with the booking's range. The exclusion constraint is the
-- invariant: two ranges that hold one asset never share an instant, whatever races. A booking
-- that is cancelled, or an asset that came back, lets go of its range (`released`).
CREATE TABLE booking_asset (
    booking_id BIGINT NOT NULL REFERENCES booking (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    tenant_id BIGINT NOT NULL,
    -- The kit part it stands for, when the booking is a kit's.
    part BIGINT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    released BOOLEAN NOT NULL DEFAULT FALSE,
    returned_at BIGINT,
    PRIMARY KEY (booking_id, asset_id),
    CONSTRAINT booking_asset_no_overlap EXCLUDE USING gist (
        asset_id WITH =,
        (int8range(starts_at, ends_at)) WITH &&
    ) WHERE (NOT released)
);

-- An asset's bookings (its calendar, availability's NOT EXISTS, a check-out's look ahead).
CREATE INDEX booking_asset_by_asset ON booking_asset (asset_id, ends_at)
    WHERE NOT released;
CREATE INDEX booking_asset_of_asset ON booking_asset (asset_id, starts_at);
