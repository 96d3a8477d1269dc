-- The journal fence without a head row per stream (ADR 0042). Truncation keeps the last entry a snapshot covers,
-- marked covered, so a stream never loses its highest stored entry; an append is refused when any entry at or after
-- its first number is stored. Script 0007 kept a head row per stream instead, updated on every commit; it cost more
-- and is dropped here.
ALTER TABLE salesops_journal ADD COLUMN IF NOT EXISTS covered boolean NOT NULL DEFAULT false;
DROP TABLE IF EXISTS salesops_journal_head;

-- One group commit of the journal in one statement, so in one implicit transaction and one round trip: insert every
-- entry of the appends that no stored entry at or after their first number refuses, then take out again the entries
-- of any append that did not go in whole (a concurrent commit of another activation of the grain took one of its
-- numbers meanwhile). Returns the appends (their p_appends numbers) that were not stored. If any step fails, nothing
-- of the call is stored.
CREATE OR REPLACE FUNCTION salesops_journal_append(p_streams text[], p_seqs bigint[], p_entries bytea[], p_appends int[])
RETURNS SETOF int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_taken int[];
  v_expected bigint;
  w_streams text[];
  w_seqs bigint[];
BEGIN
  WITH input AS (
    SELECT * FROM unnest(p_streams, p_seqs, p_entries, p_appends) AS i(stream, seq, entry, append)),
  firsts AS (
    SELECT i.append, min(i.stream) AS stream, min(i.seq) AS first FROM input i GROUP BY i.append),
  taken AS (
    SELECT f.append FROM firsts f
    WHERE EXISTS (SELECT 1 FROM salesops_journal j WHERE j.stream = f.stream AND j.seq >= f.first)),
  inserted AS (
    INSERT INTO salesops_journal (stream, seq, entry)
    SELECT i.stream, i.seq, i.entry FROM input i WHERE i.append NOT IN (SELECT t.append FROM taken t)
    ON CONFLICT (stream, seq) DO NOTHING
    RETURNING salesops_journal.stream, salesops_journal.seq)
  SELECT
    (SELECT array_agg(t.append) FROM taken t),
    (SELECT count(*) FROM input i WHERE i.append NOT IN (SELECT t.append FROM taken t)),
    (SELECT array_agg(w.stream) FROM inserted w),
    (SELECT array_agg(w.seq) FROM inserted w)
  INTO v_taken, v_expected, w_streams, w_seqs;

  IF coalesce(array_length(w_streams, 1), 0) = v_expected THEN
    RETURN QUERY SELECT unnest(coalesce(v_taken, '{}')); -- every append not refused went in whole: the usual case
    RETURN;
  END IF;

  CREATE TEMP TABLE IF NOT EXISTS salesops_journal_partial (append int) ON COMMIT DELETE ROWS;
  INSERT INTO salesops_journal_partial
    SELECT i.append
    FROM unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
    LEFT JOIN unnest(w_streams, w_seqs) AS w(stream, seq) ON w.stream = i.stream AND w.seq = i.seq
    WHERE i.append <> ALL (coalesce(v_taken, '{}'))
    GROUP BY i.append HAVING count(w.seq) < count(*);

  DELETE FROM salesops_journal j
  USING unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
  WHERE j.stream = i.stream AND j.seq = i.seq
    AND i.append IN (SELECT p.append FROM salesops_journal_partial p)
    AND (i.stream, i.seq) IN (SELECT w.stream, w.seq FROM unnest(w_streams, w_seqs) AS w(stream, seq));

  RETURN QUERY SELECT unnest(coalesce(v_taken, '{}')) UNION ALL SELECT p.append FROM salesops_journal_partial p;
END
$fn$;
