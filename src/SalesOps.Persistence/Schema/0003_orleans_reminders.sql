-- Orleans ADO.NET reminders (Microsoft.Orleans.Reminders.AdoNet 10.4.2) on PostgreSQL.
--
-- Our own script, applied by SchemaMigrator inside one transaction; idempotent.
-- The etag of a reminder is its integer Version: an upsert returns the new version, a delete succeeds only
-- for the version the caller holds. GrainHash holds the uniform hash as a signed integer; Orleans picks
-- ReadRangeRows1Key when the range does not wrap in signed order, ReadRangeRows2Key when it does.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId varchar(150) NOT NULL,
    GrainId varchar(150) NOT NULL,
    ReminderName varchar(150) NOT NULL,
    StartTime timestamptz NOT NULL,
    Period bigint NOT NULL,
    GrainHash integer NOT NULL,
    Version integer NOT NULL,
    CONSTRAINT pk_orleansreminderstable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'UpsertReminderRowKey',
    -- Returns one row: the new version (0 for a new reminder).
    $query$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
    SET StartTime = EXCLUDED.StartTime,
        Period = EXCLUDED.Period,
        GrainHash = EXCLUDED.GrainHash,
        Version = r.Version + 1
    RETURNING r.Version AS "Version";
    $query$
),
(
    'ReadReminderRowsKey',
    $query$
    SELECT
        GrainId AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime AS "StartTime",
        Period AS "Period",
        Version AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId;
    $query$
),
(
    'ReadReminderRowKey',
    $query$
    SELECT
        GrainId AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime AS "StartTime",
        Period AS "Period",
        Version AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName;
    $query$
),
(
    'ReadRangeRows1Key',
    -- (BeginHash, EndHash] when BeginHash < EndHash as signed integers.
    $query$
    SELECT
        GrainId AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime AS "StartTime",
        Period AS "Period",
        Version AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash;
    $query$
),
(
    'ReadRangeRows2Key',
    -- The wrapping range: above BeginHash or up to EndHash (the whole ring when they are equal).
    $query$
    SELECT
        GrainId AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime AS "StartTime",
        Period AS "Period",
        Version AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
    $query$
),
(
    'DeleteReminderRowKey',
    -- Returns one boolean: whether the row with that version was deleted.
    $query$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT count(*) > 0 AS "Deleted" FROM deleted;
    $query$
),
(
    'DeleteReminderRowsKey',
    $query$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId;
    $query$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
