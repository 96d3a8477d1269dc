-- One journal row per append: a row may hold several consecutive entries of its stream, seq to last_seq.
-- last_seq is NULL for a row of one entry (every row written before this script), whose entry column is that entry.
-- A row with last_seq holds its entries packed in entry: each a 4-byte big-endian length, then its bytes.
ALTER TABLE salesops_journal ADD COLUMN IF NOT EXISTS last_seq bigint;

-- Rows past 2 KB (a packed batch of roll-ups or credits) are compressed; lz4 costs the server less CPU than the
-- default pglz. A server built without lz4 keeps the default.
DO $lz4$
BEGIN
  ALTER TABLE salesops_journal ALTER COLUMN entry SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: journal rows keep the default compression';
END
$lz4$;

-- One group commit of the journal in one statement (one implicit transaction, one round trip): one row per append,
-- inserted unless a stored row of its stream covers one of its numbers. Returns the appends (their p_appends numbers)
-- that were not stored.
-- A row that starts at the same number is refused by the primary key, also when another transaction writes it at the
-- same time. The two checks refuse a row that would start or end inside a stored one. Two activations of one grain
-- always start at the same number: each starts after the last whole row it read.
CREATE OR REPLACE FUNCTION salesops_journal_append_rows(p_streams text[], p_seqs bigint[], p_lasts bigint[], p_entries bytea[], p_appends int[])
RETURNS SETOF int
LANGUAGE sql AS $fn$
  WITH input AS (
    SELECT * FROM unnest(p_streams, p_seqs, p_lasts, p_entries, p_appends) AS i(stream, seq, last_seq, entry, append)),
  inserted AS (
    INSERT INTO salesops_journal (stream, seq, last_seq, entry)
    SELECT i.stream, i.seq, NULLIF(i.last_seq, i.seq), i.entry
    FROM input i
    WHERE NOT EXISTS (
        SELECT 1 FROM salesops_journal j WHERE j.stream = i.stream AND j.seq > i.seq AND j.seq <= i.last_seq)
      AND coalesce((
        SELECT coalesce(j.last_seq, j.seq) FROM salesops_journal j
        WHERE j.stream = i.stream AND j.seq < i.seq ORDER BY j.seq DESC LIMIT 1), 0) < i.seq
    ON CONFLICT (stream, seq) DO NOTHING
    RETURNING salesops_journal.stream, salesops_journal.seq)
  SELECT i.append FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM inserted w WHERE w.stream = i.stream AND w.seq = i.seq);
$fn$;
