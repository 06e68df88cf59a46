-- Full-text search for AQL's `text ~ "words"`. asset_search holds each asset's document: its label
-- and text values as lowercase words joined by spaces, computed by the app (see
-- amj_domain::aql::search_document), so that SQLite and PostgreSQL tokenize identically. The FTS5
-- index reads it as external content and triggers keep the two in step.
CREATE TABLE asset_search (
    asset_id INTEGER PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL,
    doc TEXT NOT NULL
);

CREATE VIRTUAL TABLE asset_fts USING fts5(
    doc,
    content = 'asset_search',
    content_rowid = 'asset_id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER asset_search_insert AFTER INSERT ON asset_search BEGIN
    INSERT INTO asset_fts (rowid, doc) VALUES (new.asset_id, new.doc);
END;

CREATE TRIGGER asset_search_delete AFTER DELETE ON asset_search BEGIN
    INSERT INTO asset_fts (asset_fts, rowid, doc) VALUES ('delete', old.asset_id, old.doc);
END;

CREATE TRIGGER asset_search_update AFTER UPDATE ON asset_search BEGIN
    INSERT INTO asset_fts (asset_fts, rowid, doc) VALUES ('delete', old.asset_id, old.doc);
    INSERT INTO asset_fts (rowid, doc) VALUES (new.asset_id, new.doc);
END;
