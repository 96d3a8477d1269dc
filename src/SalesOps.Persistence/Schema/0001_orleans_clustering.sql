-- Orleans ADO.NET clustering (Microsoft.Orleans.Clustering.AdoNet 10.4.2) on PostgreSQL.
--
-- Our own script, applied by SchemaMigrator inside one transaction. It is idempotent: tables are created
-- if missing and every query text is upserted by its key, so running it again changes nothing.
--
-- Concurrency contract: the membership version row is the etag of the whole table. Orleans passes the
-- version it last read as @Version; an insert or update of a membership row succeeds only if it bumps that
-- exact version, in the same statement, and reports false otherwise (Orleans then re-reads and retries).
-- Every changing query locks the version row first, so concurrent writers serialise on it.
-- Result columns are aliased in double quotes so their names match what Orleans reads, exactly.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);

-- One row per cluster (DeploymentId = ClusterId); Version is the table etag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp timestamptz NOT NULL DEFAULT now(),
    Version integer NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation. Status holds the Orleans SiloStatus (3 = Active, 6 = Dead).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address varchar(45) NOT NULL,
    Port integer NOT NULL,
    Generation integer NOT NULL,
    SiloName varchar(150) NOT NULL,
    HostName varchar(150) NOT NULL,
    Status integer NOT NULL,
    ProxyPort integer NOT NULL DEFAULT 0,
    SuspectTimes varchar(8000) NULL,
    StartTime timestamptz NOT NULL,
    IAmAliveTime timestamptz NOT NULL,
    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'InsertMembershipVersionKey',
    -- Returns one boolean: whether the version row was created (false when it already existed).
    $query$
    WITH inserted AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId, Timestamp, Version)
        VALUES (@DeploymentId, now(), 0)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) > 0 AS "Inserted" FROM inserted;
    $query$
),
(
    'InsertMembershipKey',
    -- Bumps the table version only if it still is @Version and the silo row does not exist yet, and inserts
    -- the row in the same statement. Returns one boolean: true only if the row was inserted.
    $query$
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1,
            Timestamp = now()
        WHERE DeploymentId = @DeploymentId
          AND Version = @Version
          AND NOT EXISTS (
              SELECT 1
              FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address
                AND Port = @Port
                AND Generation = @Generation)
        RETURNING DeploymentId
    ),
    inserted AS (
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
        SELECT bumped.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
        FROM bumped
        ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) > 0 AS "Inserted" FROM inserted;
    $query$
),
(
    'UpdateMembershipKey',
    -- Bumps the table version only if it still is @Version and the silo row exists, and updates the row in the
    -- same statement. IAmAliveTime never moves backwards (heartbeats are written without a version bump).
    -- Returns one boolean: true only if the row was updated.
    $query$
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1,
            Timestamp = now()
        WHERE DeploymentId = @DeploymentId
          AND Version = @Version
          AND EXISTS (
              SELECT 1
              FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address
                AND Port = @Port
                AND Generation = @Generation)
        RETURNING DeploymentId
    ),
    updated AS (
        UPDATE OrleansMembershipTable AS m
        SET Status = @Status,
            SuspectTimes = @SuspectTimes,
            IAmAliveTime = GREATEST(m.IAmAliveTime, @IAmAliveTime)
        FROM bumped
        WHERE m.DeploymentId = bumped.DeploymentId
          AND m.Address = @Address
          AND m.Port = @Port
          AND m.Generation = @Generation
        RETURNING 1
    )
    SELECT count(*) > 0 AS "Updated" FROM updated;
    $query$
),
(
    'UpdateIAmAlivetimeKey',
    -- The heartbeat: no version bump, never moves backwards. Orleans ignores the result.
    $query$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation;
    $query$
),
(
    'MembershipReadRowKey',
    -- Always one row while the version row exists (the outer join keeps it when the silo row is missing):
    -- Orleans takes the table version from the first row and treats a null StartTime as "no entry".
    $query$
    SELECT
        v.DeploymentId AS "DeploymentId",
        m.Address AS "Address",
        m.Port AS "Port",
        m.Generation AS "Generation",
        m.SiloName AS "SiloName",
        m.HostName AS "HostName",
        m.Status AS "Status",
        m.ProxyPort AS "ProxyPort",
        m.SuspectTimes AS "SuspectTimes",
        m.StartTime AS "StartTime",
        m.IAmAliveTime AS "IAmAliveTime",
        v.Version AS "Version"
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
        ON m.DeploymentId = v.DeploymentId
       AND m.Address = @Address
       AND m.Port = @Port
       AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
    $query$
),
(
    'MembershipReadAllKey',
    -- All silo rows of the cluster with the table version on each; one row with nulls when there are none.
    $query$
    SELECT
        v.DeploymentId AS "DeploymentId",
        m.Address AS "Address",
        m.Port AS "Port",
        m.Generation AS "Generation",
        m.SiloName AS "SiloName",
        m.HostName AS "HostName",
        m.Status AS "Status",
        m.ProxyPort AS "ProxyPort",
        m.SuspectTimes AS "SuspectTimes",
        m.StartTime AS "StartTime",
        m.IAmAliveTime AS "IAmAliveTime",
        v.Version AS "Version"
    FROM OrleansMembershipVersionTable AS v
    LEFT JOIN OrleansMembershipTable AS m
        ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId
    ORDER BY m.Address, m.Port, m.Generation;
    $query$
),
(
    'DeleteMembershipTableEntriesKey',
    $query$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
    $query$
),
(
    'GatewaysQueryKey',
    -- Orleans passes @Status = 3 (Active); silos without a gateway have ProxyPort 0.
    $query$
    SELECT
        Address AS "Address",
        ProxyPort AS "ProxyPort",
        Generation AS "Generation"
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
    $query$
),
(
    'CleanupDefunctSiloEntriesKey',
    -- @IAmAliveTime is the cut-off. Only rows of silos declared Dead (6) that neither started nor sent a
    -- heartbeat since then are removed; live, joining or shutting-down silos are never touched.
    $query$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime;
    $query$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
