-- Access control: API keys (only a hash of each secret) and the audit log of ingest calls.
CREATE TABLE IF NOT EXISTS salesops_api_keys (
  key_id varchar(32) PRIMARY KEY,
  secret_hash bytea NOT NULL,
  role smallint NOT NULL,
  region_id varchar(300) NOT NULL,
  rep_id varchar(300) NOT NULL,
  event_kinds text[] NOT NULL,
  label varchar(200) NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NULL,
  revoked_at timestamptz NULL,
  events_per_second integer NULL,
  watch_streams integer NULL,
  max_request_bytes integer NULL,
  created_by text NOT NULL);

CREATE TABLE IF NOT EXISTS salesops_audit (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  identity_kind varchar(20) NOT NULL,
  identity text NOT NULL,
  role smallint NOT NULL,
  peer text NOT NULL,
  method varchar(50) NOT NULL,
  batch_id text NOT NULL,
  event_ids text[] NOT NULL,
  server text NOT NULL);

CREATE INDEX IF NOT EXISTS salesops_audit_received_at ON salesops_audit (received_at);
CREATE INDEX IF NOT EXISTS salesops_audit_event_ids ON salesops_audit USING gin (event_ids);
