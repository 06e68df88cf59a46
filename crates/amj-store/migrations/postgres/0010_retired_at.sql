-- When each asset moved into its Retired-category status (NULL in any other status): what AQL's
-- `retired` compares, so that the dashboard's "retired per month" bars have a slice to list.
ALTER TABLE asset ADD COLUMN retired_at BIGINT;

-- Assets retired before this migration: the move's time is not kept in a form SQL can read
-- here, and their last change is the closest record of it (often the move itself).
UPDATE asset SET retired_at = updated_at
WHERE status_id IN (SELECT id FROM asset_status WHERE category = 'retired');

-- A month's slice is a range over this index, never a scan of the site's assets.
CREATE INDEX asset_by_retired ON asset (tenant_id, retired_at, id) WHERE retired_at IS NOT NULL;

-- The counter now counts assets retired in a month and still retired (an asset restored from
-- Retired takes its month back), so it is rebuilt from the column to agree with its slice.
DELETE FROM asset_tally WHERE dimension = 'retired';
INSERT INTO asset_tally (tenant_id, schema_id, dimension, k1, k2, n)
SELECT tenant_id, schema_id, 'retired', CAST(to_char(to_timestamp(retired_at / 1000) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT), 0, COUNT(*)
FROM asset WHERE retired_at IS NOT NULL GROUP BY 1, 2, 4;
