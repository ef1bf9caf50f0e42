-- Ingestion runs and the quarantine (applied after schema.sql; every statement idempotent).
--
-- One row per completed ingestion run (refpipe ingest, a scheduled deployment run), written in the
-- same publish as the run's last documents: a run that was killed leaves no row (its documents up to
-- the last publish stay; the next run picks up the rest).  Counts are by outcome: loaded / partial
-- (new documents), unchanged (bytes already loaded: skipped without parsing), rejected (new
-- rejections), quarantined (bytes already rejected: skipped without parsing), failed (a transient
-- error; retried next run).  The limits in force are kept with the run.  The provenance columns exist
-- only so that every table carries them, and are always NULL (a run is not on a page).
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,        -- the Prefect flow run id
    started_at    TIMESTAMP NOT NULL,         -- UTC
    finished_at   TIMESTAMP NOT NULL,
    trigger       VARCHAR NOT NULL,           -- 'cli' | 'deployment:<name>' | 'flow'
    paths         VARCHAR[] NOT NULL,         -- the files/folders given to the run
    files         INTEGER NOT NULL,
    loaded        INTEGER NOT NULL,
    partial       INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    quarantined   INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    max_bytes     BIGINT,                     -- 0: no limit
    max_pages     INTEGER,
    time_limit    DOUBLE,                     -- seconds per document
    note          VARCHAR,                    -- e.g. the previous writer was interrupted
    document_id VARCHAR, source_sha256 VARCHAR, ord INTEGER, page INTEGER,
    x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE
);

COMMENT ON TABLE runs IS
    'One row per completed ingestion run (CLI or schedule): when, what it was given, how many files per outcome (loaded, partial, unchanged, rejected, quarantined = a known rejection skipped, failed) and the limits in force.';

CREATE OR REPLACE VIEW v_runs AS
SELECT run_id, started_at AT TIME ZONE 'UTC' AS started_at, finished_at AT TIME ZONE 'UTC' AS finished_at,
       epoch(finished_at - started_at) AS duration, trigger, paths, files,
       loaded, partial, unchanged, rejected, quarantined, failed, max_bytes, max_pages, time_limit, note
FROM runs;

COMMENT ON VIEW v_runs IS
    'The ingestion runs (latest first when ordered by started_at DESC) with their duration and counts by outcome.';
COMMENT ON COLUMN v_runs.run_id IS 'The Prefect flow run id of the run.';
COMMENT ON COLUMN v_runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN v_runs.finished_at IS 'When the run finished and published its last documents (UTC).';
COMMENT ON COLUMN v_runs.duration IS 'How long the run took, in seconds (finished_at - started_at).';
COMMENT ON COLUMN v_runs.trigger IS 'cli (refpipe ingest), deployment:<name> (a scheduled or hand-started deployment run) or flow.';
COMMENT ON COLUMN v_runs.paths IS 'The files and folders the run was given.';
COMMENT ON COLUMN v_runs.files IS 'Files found under paths (the sum of the outcome counts).';
COMMENT ON COLUMN v_runs.loaded IS 'New documents loaded whole.';
COMMENT ON COLUMN v_runs.partial IS 'New documents loaded in part (status partial, with a reason).';
COMMENT ON COLUMN v_runs.unchanged IS 'Files whose bytes were already loaded: skipped without being parsed.';
COMMENT ON COLUMN v_runs.rejected IS 'Files rejected by this run (now in v_quarantine).';
COMMENT ON COLUMN v_runs.quarantined IS 'Files whose bytes were rejected by an earlier run: skipped without being parsed.';
COMMENT ON COLUMN v_runs.failed IS 'Files that hit a transient error: nothing recorded, retried by the next run.';
COMMENT ON COLUMN v_runs.max_bytes IS 'Size limit per file in force (bytes; 0: none).';
COMMENT ON COLUMN v_runs.max_pages IS 'Page limit per PDF in force (0: none).';
COMMENT ON COLUMN v_runs.time_limit IS 'Time limit per document in force (seconds; 0: none).';
COMMENT ON COLUMN v_runs.note IS 'What the run noticed, e.g. that the previous writer was interrupted.';

-- The quarantine is the rejected sources: a rejected file is never moved out of its folder; its
-- bytes (sha256) are remembered with the reason, and the same bytes are skipped by every later run
-- until the file changes (new bytes) or a run is asked to --retry-quarantined.
CREATE OR REPLACE VIEW v_quarantine AS
SELECT s.path, s.reason, s.ingested_at AT TIME ZONE 'UTC' AS quarantined_at, s.format, s.size, s.sha256 AS source_sha256
FROM sources s
WHERE s.status = 'rejected';

COMMENT ON VIEW v_quarantine IS
    'Every rejected input with its reason: these bytes are not parsed again by later runs until the file changes (refpipe ingest --retry-quarantined forces a retry).';
COMMENT ON COLUMN v_quarantine.path IS 'The path the rejected file was ingested from (it is left where it is).';
COMMENT ON COLUMN v_quarantine.reason IS 'Why it was rejected, naming the file (and page, or the limit it exceeded).';
COMMENT ON COLUMN v_quarantine.quarantined_at IS 'When it was (last) rejected (UTC).';
COMMENT ON COLUMN v_quarantine.format IS 'pdf, text, or what the sniffer saw.';
COMMENT ON COLUMN v_quarantine.size IS 'Size in bytes.';
