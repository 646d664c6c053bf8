-- Key-prefix searches (a run's kept checkpoints, LIKE 'runs/<id>/%') read this index whatever the
-- database's collation; the primary key's index serves them only under the C collation.
CREATE INDEX "StoredObject_key_pattern_idx" ON "StoredObject" ("key" text_pattern_ops);
