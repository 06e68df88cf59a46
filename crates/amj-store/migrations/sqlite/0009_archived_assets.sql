-- The few archived assets of a site, found without reading the live ones: figures that count
-- live assets holding some value count every holder from the value index (no join) and take
-- away the archived ones found here, so their cost is the value's rows, not a row lookup each.
CREATE INDEX asset_archived ON asset (tenant_id, id) WHERE archived;
