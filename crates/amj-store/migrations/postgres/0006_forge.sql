-- Forge installations. A site is one tenant whichever platform reaches it: Connect by clientKey
-- (the tenant row), Forge by installationId (rows here, pointing at that tenant). A site that
-- never ran the Connect version still gets a tenant row, marked connect = FALSE, whose clientKey
-- is a reserved `forge:<cloudId>` that no Connect install can carry and whose secret nobody holds.
ALTER TABLE tenant ADD COLUMN connect BOOLEAN NOT NULL DEFAULT TRUE;
-- The Atlassian cloud id, learnt from the first FIT: how a site seen under a new installation id
-- (a reinstall, the Connect-to-Forge upgrade) finds its data again.
ALTER TABLE tenant ADD COLUMN cloud_id TEXT;
CREATE INDEX tenant_cloud_id ON tenant (cloud_id);

CREATE TABLE forge_installation (
    installation_id TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    cloud_id TEXT NOT NULL,
    api_base_url TEXT NOT NULL,
    site_url TEXT,
    environment TEXT,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    last_event_at BIGINT,
    last_trigger_at BIGINT,
    -- AEAD ciphertext of the longest-lived system token seen, bound to installation_id.
    system_token_enc TEXT,
    system_token_exp BIGINT,
    -- Set when Jira refuses the token (401/404) or triggers stop: the site is dormant, never
    -- deleted, and the next valid FIT wakes it.
    dormant_at BIGINT,
    dormant_reason TEXT
);

CREATE INDEX forge_installation_tenant ON forge_installation (tenant_id);
CREATE INDEX forge_installation_cloud ON forge_installation (cloud_id);

-- Events and triggers from Forge, stored before we answer 2xx and worked on after: a crash in
-- between loses nothing. dedupe_key is the same for Forge's retries of one event.
CREATE TABLE forge_event (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    installation_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    deliveries BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    done_at BIGINT,
    last_error TEXT
);

CREATE INDEX forge_event_pending ON forge_event (done_at, next_attempt_at);
