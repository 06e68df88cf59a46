-- Kits (issue 14): named bundles of parts handed to a person in one action.

-- The parts are JSON (`amj_domain::kit::KitPart`, typed on the way in and out): they are read
-- and written whole with their kit, never queried one by one.
CREATE TABLE kit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- The name lowercased: two kits of a schema are never named alike.
    name_key TEXT NOT NULL,
    description TEXT NOT NULL,
    parts TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX kit_by_name ON kit (tenant_id, schema_id, name_key);
