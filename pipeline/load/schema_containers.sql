-- Containers (applied after schema.sql; idempotent).  A member of a zip is its own source; parent is the
-- sha256 of the zip it came from (NULL for a file ingested as such).  Its path reads "<zip path>!/<member>".
ALTER TABLE sources ADD COLUMN IF NOT EXISTS parent VARCHAR;
COMMENT ON COLUMN sources.parent IS 'sha256 of the zip this source was a member of (its path reads <zip>!/<member>); NULL for a file ingested on its own.';
