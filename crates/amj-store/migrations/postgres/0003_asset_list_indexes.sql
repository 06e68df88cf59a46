-- Lists sorted by key, and the tail of attribute-sorted lists (the assets without a value), walk a
-- schema's assets in id order. Without this index the planner reads every asset of the schema
-- and sorts them all to return one page (SQLite: "USE TEMP B-TREE FOR ORDER BY"), so page 1 of
-- the default list cost time linear in the size of the site. See docs/PERFORMANCE.md, "Assets at
-- 10⁶ per site".
CREATE INDEX asset_by_schema ON asset (tenant_id, schema_id, id);
