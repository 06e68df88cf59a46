-- The longest booking a schema has had, raised as bookings are made and never lowered: a
-- calendar's window reads bookings that start at most this long before it, instead of a whole
-- year before it (the longest a booking may be), so a week's view scans a week and a bit.
CREATE TABLE booking_extent (
    tenant_id BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    longest BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, schema_id)
);

INSERT INTO booking_extent (tenant_id, schema_id, longest)
SELECT tenant_id, schema_id, MAX(ends_at - starts_at) FROM booking GROUP BY tenant_id, schema_id;
