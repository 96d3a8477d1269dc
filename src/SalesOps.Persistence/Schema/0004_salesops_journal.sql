-- The SalesOps event journal: one row per entry, ordered by seq within a stream.
CREATE TABLE IF NOT EXISTS salesops_journal (
  stream varchar(300) NOT NULL,
  seq bigint NOT NULL,
  entry bytea NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, seq));
