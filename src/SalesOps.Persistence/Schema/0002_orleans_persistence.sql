-- Orleans ADO.NET grain storage (Microsoft.Orleans.Persistence.AdoNet 10.4.2) on PostgreSQL.
--
-- Our own script, applied by SchemaMigrator inside one transaction; idempotent.
--
-- Concurrency contract: the etag is the integer Version. Orleans passes the etag it holds as
-- @GrainStateVersion (null when the grain never read a stored row) and compares what the query returns:
-- the same value, or null, means "not written" and raises InconsistentStateException. A query that
-- returned no row at all would be taken as success with a null etag, so every changing query below
-- returns exactly one row, "NewGrainStateVersion", which is null when nothing was written:
--   * an update whose version does not match affects no row;
--   * a first write (@GrainStateVersion null) when a row already exists inserts nothing (unique index),
--     also when two first writes race: the second waits for the first and then does nothing.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash integer NOT NULL,
    GrainIdN0 bigint NOT NULL,
    GrainIdN1 bigint NOT NULL,
    GrainTypeHash integer NOT NULL,
    GrainTypeString varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId varchar(150) NOT NULL,
    PayloadBinary bytea NULL,
    ModifiedOn timestamptz NOT NULL DEFAULT now(),
    Version integer NOT NULL,
    CONSTRAINT ck_orleansstorage_version CHECK (Version > 0)
);

-- One row per grain state. The extension string is nullable, so the index tells null and empty apart
-- explicitly (works on every PostgreSQL version, unlike NULLS NOT DISTINCT). Lookups use its leading columns.
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleansstorage_grain ON OrleansStorage
(
    GrainIdHash,
    GrainTypeHash,
    GrainIdN0,
    GrainIdN1,
    ServiceId,
    GrainTypeString,
    (GrainIdExtensionString IS NULL),
    COALESCE(GrainIdExtensionString, '')
);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'ReadFromStorageKey',
    -- No row: the grain starts from a new state with a null etag. PayloadBinary is null after a clear.
    $query$
    SELECT
        PayloadBinary AS "PayloadBinary",
        Version AS "Version"
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND ServiceId = @ServiceId
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;
    $query$
),
(
    'WriteToStorageKey',
    -- With an etag: update that exact version. Without one: insert version 1 unless a row exists.
    $query$
    WITH updated AS (
        UPDATE OrleansStorage
        SET PayloadBinary = @PayloadBinary,
            ModifiedOn = now(),
            Version = Version + 1
        WHERE @GrainStateVersion IS NOT NULL
          AND GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion
        RETURNING Version
    ),
    inserted AS (
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @PayloadBinary, now(), 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING Version
    )
    SELECT (SELECT Version FROM updated UNION ALL SELECT Version FROM inserted) AS "NewGrainStateVersion";
    $query$
),
(
    'ClearStorageKey',
    -- Keeps the row (payload null) and bumps its version, so a stale copy still conflicts afterwards.
    $query$
    WITH cleared AS (
        UPDATE OrleansStorage
        SET PayloadBinary = NULL,
            ModifiedOn = now(),
            Version = Version + 1
        WHERE GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion
        RETURNING Version
    )
    SELECT (SELECT Version FROM cleared) AS "NewGrainStateVersion";
    $query$
),
(
    'DeleteStorageKey',
    -- Used instead of ClearStorageKey when DeleteStateOnClear is set. Returns the deleted version + 1 (a value
    -- different from the etag, which Orleans reads as success); the grain then holds no etag and inserts anew.
    $query$
    WITH deleted AS (
        DELETE FROM OrleansStorage
        WHERE GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion
        RETURNING Version + 1 AS NextVersion
    )
    SELECT (SELECT NextVersion FROM deleted) AS "NewGrainStateVersion";
    $query$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
