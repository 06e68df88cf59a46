-- Values that break their attribute's current rule: written under a looser one (a text pattern
-- tightened since). A pattern cannot be checked by an index, so when it changes the values of
-- that attribute are tested once and each that fails gets a row here; the write that mends the
-- value (or clears it) deletes the row. Data quality counts them, and AQL's
-- `object HAVING brokenRule(…)` lists them, without scanning the site per view.
CREATE TABLE asset_rule_break (
    tenant_id BIGINT NOT NULL,
    attribute_id BIGINT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, attribute_id, asset_id)
);

-- A write finds the markers of the assets it changes.
CREATE INDEX asset_rule_break_by_asset ON asset_rule_break (asset_id);
