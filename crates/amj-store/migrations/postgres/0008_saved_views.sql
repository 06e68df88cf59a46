-- Saved views of the asset list: a query, its columns and sort, kept for one person (owner) or
-- shared with everyone on the site. Names are unique per owner and schema, and among shared
-- views, so a list of views never shows two alike.
CREATE TABLE saved_view (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    schema_id BIGINT NOT NULL REFERENCES asset_schema (id),
    -- The Atlassian accountId of the person who saved it.
    owner TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    aql TEXT NOT NULL,
    -- JSON array of column names.
    columns TEXT NOT NULL,
    -- "<key> ASC|DESC", or NULL for the query's own order.
    sort TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX saved_view_personal ON saved_view (tenant_id, schema_id, owner, name_lower)
    WHERE NOT shared;
CREATE UNIQUE INDEX saved_view_shared ON saved_view (tenant_id, schema_id, name_lower)
    WHERE shared;
CREATE INDEX saved_view_owner ON saved_view (tenant_id, schema_id, owner);
