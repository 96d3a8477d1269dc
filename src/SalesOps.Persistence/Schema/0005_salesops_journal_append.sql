-- One group commit of the journal in one statement, so in one implicit transaction and one round trip:
-- insert every entry of the appends none of whose entries is stored yet, then take out again the entries of any
-- append that did not go in whole (another activation of the grain took one of its numbers meanwhile).
-- Returns the appends (their p_appends numbers) that were not stored. If any step fails, nothing of the call is stored.
CREATE OR REPLACE FUNCTION salesops_journal_append(p_streams text[], p_seqs bigint[], p_entries bytea[], p_appends int[])
RETURNS SETOF int
LANGUAGE plpgsql AS $fn$
DECLARE
  w_streams text[];
  w_seqs bigint[];
BEGIN
  WITH input AS (
    SELECT * FROM unnest(p_streams, p_seqs, p_entries, p_appends) AS i(stream, seq, entry, append)),
  taken AS (
    SELECT DISTINCT i.append FROM input i JOIN salesops_journal j ON j.stream = i.stream AND j.seq = i.seq),
  inserted AS (
    INSERT INTO salesops_journal (stream, seq, entry)
    SELECT i.stream, i.seq, i.entry FROM input i WHERE i.append NOT IN (SELECT t.append FROM taken t)
    ON CONFLICT (stream, seq) DO NOTHING
    RETURNING salesops_journal.stream, salesops_journal.seq)
  SELECT array_agg(inserted.stream), array_agg(inserted.seq) INTO w_streams, w_seqs FROM inserted;

  IF coalesce(array_length(w_streams, 1), 0) = coalesce(array_length(p_streams, 1), 0) THEN
    RETURN; -- every append went in whole: the usual case
  END IF;

  CREATE TEMP TABLE IF NOT EXISTS salesops_journal_partial (append int) ON COMMIT DELETE ROWS;
  INSERT INTO salesops_journal_partial
    SELECT i.append
    FROM unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
    LEFT JOIN unnest(w_streams, w_seqs) AS w(stream, seq) ON w.stream = i.stream AND w.seq = i.seq
    GROUP BY i.append HAVING count(w.seq) < count(*);

  DELETE FROM salesops_journal j
  USING unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
  WHERE j.stream = i.stream AND j.seq = i.seq
    AND i.append IN (SELECT p.append FROM salesops_journal_partial p)
    AND (i.stream, i.seq) IN (SELECT w.stream, w.seq FROM unnest(w_streams, w_seqs) AS w(stream, seq));

  RETURN QUERY SELECT p.append FROM salesops_journal_partial p;
END
$fn$;
