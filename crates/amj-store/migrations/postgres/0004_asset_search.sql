-- Full-text search for AQL's `text ~ "words"`. asset_search holds each asset's document: its label
-- and text values as lowercase words joined by spaces, computed by the app (see
-- amj_domain::aql::search_document), so that SQLite and PostgreSQL see identical words. The
-- tsvector is built from those words directly (array_to_tsvector), not through PostgreSQL's text
-- parser, which would drop or split some of them (`x²`, `½`); queries are cast to tsquery for the
-- same reason.
CREATE TABLE asset_search (
    asset_id BIGINT PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL,
    doc TEXT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (array_to_tsvector(string_to_array(doc, ' '))) STORED
);

CREATE INDEX asset_search_tsv ON asset_search USING GIN (tsv);
