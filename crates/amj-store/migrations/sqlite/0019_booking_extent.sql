-- The longest booking a schema has had (see the PostgreSQL migration).
CREATE TABLE booking_extent (
    tenant_id INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    longest INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, schema_id)
);

INSERT INTO booking_extent (tenant_id, schema_id, longest)
SELECT tenant_id, schema_id, MAX(ends_at - starts_at) FROM booking GROUP BY tenant_id, schema_id;
