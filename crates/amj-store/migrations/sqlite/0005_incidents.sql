-- Incidents shown on the public status page (/status). They belong to the deployment, not to a
-- site: an operator opens them with `amj incident`, and alerts open and resolve them on their own.
-- Nothing here names a site, since the page is public.

CREATE TABLE incident (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    -- none, minor, major or critical (Statuspage's scale).
    impact TEXT NOT NULL,
    -- auth, app, database or jobs: the status page component it affects.
    component TEXT NOT NULL,
    -- investigating, identified, monitoring or resolved: the latest update's status.
    status TEXT NOT NULL,
    -- The alert rule that opened it, while that rule keeps it open; NULL for operators' incidents.
    alert_rule TEXT,
    opened_at INTEGER NOT NULL,
    resolved_at INTEGER,
    postmortem TEXT
);

-- One open incident per alert rule, however many instances evaluate alerts.
CREATE UNIQUE INDEX incident_open_alert ON incident (alert_rule) WHERE resolved_at IS NULL AND alert_rule IS NOT NULL;
CREATE INDEX incident_recent ON incident (opened_at);

CREATE TABLE incident_update (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE INDEX incident_update_by_incident ON incident_update (incident_id, at);

-- Authentication outcomes per site, per hour and outcome ('ok' or a reason code). The watch loop
-- adds each instance's counts every tick, so a site's history survives restarts and covers every
-- instance; the admin page's Connection health panel reads its last 24 hours. Kept 7 days.
CREATE TABLE site_auth_hourly (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    hour INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, hour, outcome)
);

CREATE INDEX site_auth_hourly_by_hour ON site_auth_hourly (hour);
