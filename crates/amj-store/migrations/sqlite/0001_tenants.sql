-- One row per Jira site. client_key is the Connect tenant id and is unique, so a duplicate or
-- concurrent install can only ever update the one row (the ACE 6.0 duplicate-row bug cannot happen).
CREATE TABLE tenant (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_key TEXT NOT NULL UNIQUE,
    app_key TEXT NOT NULL,
    -- AEAD ciphertext of the shared secret, bound to client_key; never the secret itself.
    shared_secret_enc TEXT NOT NULL,
    secret_fingerprint TEXT NOT NULL,
    base_url TEXT NOT NULL,
    display_url TEXT,
    display_url_servicedesk TEXT,
    product_type TEXT,
    description TEXT,
    server_version TEXT,
    plugins_version TEXT,
    service_entitlement_number TEXT,
    entitlement_id TEXT,
    entitlement_number TEXT,
    oauth_client_id TEXT,
    installation_id TEXT,
    installed BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    -- iat and hash of the last signed lifecycle token applied: an older one can never roll back.
    lifecycle_iat INTEGER NOT NULL,
    lifecycle_token_sha256 TEXT NOT NULL,
    installed_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    secret_rotated_at INTEGER,
    uninstalled_at INTEGER
);

CREATE INDEX tenant_installation_id ON tenant (installation_id);

CREATE TABLE tenant_lifecycle_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    token_sha256 TEXT,
    at INTEGER NOT NULL
);

CREATE INDEX tenant_lifecycle_event_tenant ON tenant_lifecycle_event (tenant_id, id);
CREATE INDEX tenant_lifecycle_event_token ON tenant_lifecycle_event (tenant_id, token_sha256);
