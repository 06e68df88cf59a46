-- Requests approved in Jira (issue 14): the schema's approval policy, as typed JSON
-- (`amj_domain::request::ApprovalPolicy`); NULL while requests are not set up.
ALTER TABLE asset_schema ADD COLUMN request_policy TEXT;
