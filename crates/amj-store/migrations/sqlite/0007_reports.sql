-- Maintained counters for the dashboard and the type tree's counts. Every asset write adjusts
-- them in its own transaction (see amj_store::tally), so a report reads a few hundred rows at
-- any site size instead of scanning a million assets.
--   type     k1 = type id                         live (not archived) assets of exactly that type
--   status   k1 = status id                       live assets in that status
--   filled   k1 = attribute id                    live assets with at least one value for it
--   ref      k1 = attribute id, k2 = target id    live assets referencing the target through it
--   created  k1 = yyyymm (UTC)                    assets created that month, archived or not
--   retired  k1 = yyyymm (UTC)                    moves into a status of the Retired category
CREATE TABLE asset_tally (
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    k1 INTEGER NOT NULL,
    k2 INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, schema_id, dimension, k1, k2)
) WITHOUT ROWID;

-- What the dashboard reads that only an admin can say: which reference attribute is the
-- location, and which date attributes are warranty or end-of-life dates.
ALTER TABLE asset_schema ADD COLUMN report_settings TEXT NOT NULL DEFAULT '{}';

-- Counts for the assets that exist already. Moves into Retired before this migration are not in
-- the history in a countable form, so `retired` starts from zero.
INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT tenant_id, schema_id, 'type', type_id, 0, COUNT(*) FROM asset WHERE NOT archived
GROUP BY tenant_id, schema_id, type_id;

INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT tenant_id, schema_id, 'status', status_id, 0, COUNT(*) FROM asset WHERE NOT archived
GROUP BY tenant_id, schema_id, status_id;

INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT tenant_id, schema_id, 'created', CAST(strftime('%Y%m', created_at / 1000, 'unixepoch') AS INTEGER), 0, COUNT(*)
FROM asset GROUP BY 1, 2, 4;

INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT a.tenant_id, a.schema_id, 'filled', v.attribute_id, 0, COUNT(DISTINCT v.asset_id)
FROM asset_value v JOIN asset a ON a.id = v.asset_id
WHERE NOT a.archived GROUP BY a.tenant_id, a.schema_id, v.attribute_id;

INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT a.tenant_id, a.schema_id, 'ref', v.attribute_id, v.v_ref, COUNT(DISTINCT v.asset_id)
FROM asset_value v JOIN asset a ON a.id = v.asset_id
WHERE v.v_ref IS NOT NULL AND NOT a.archived
GROUP BY a.tenant_id, a.schema_id, v.attribute_id, v.v_ref;
