-- The journal append of script 0008 with a second check after the insert (ADR 0042). The first check and the insert
-- see the database as it was when the statement started. Another activation of the grain may commit entries past an
-- append while that statement runs, and its truncation may then drop the numbers the append takes, so that the insert
-- meets no conflict. The check after the insert is a later statement, so it sees those commits: an append is refused
-- when an entry past the last number the call writes to its stream is stored. And when one append of a stream is
-- refused, so are the others of that stream in the call: a later one continues the entries of the earlier ones.
CREATE OR REPLACE FUNCTION salesops_journal_append(p_streams text[], p_seqs bigint[], p_entries bytea[], p_appends int[])
RETURNS SETOF int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_taken int[];
  v_expected bigint;
  v_late int[];
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

  -- The check after the insert: per stream, an entry past the last number of the call.
  SELECT array_agg(DISTINCT i.append) INTO v_late
  FROM unnest(p_streams, p_appends) AS i(stream, append)
  JOIN (SELECT s.stream, max(s.seq) AS last FROM unnest(p_streams, p_seqs) AS s(stream, seq) GROUP BY s.stream) m
    ON m.stream = i.stream
  WHERE i.append <> ALL (coalesce(v_taken, '{}'))
    AND EXISTS (SELECT 1 FROM salesops_journal j WHERE j.stream = m.stream AND j.seq > m.last);

  IF v_taken IS NULL AND v_late IS NULL AND coalesce(array_length(w_streams, 1), 0) = v_expected THEN
    RETURN; -- every append went in whole and nothing refuses it: the usual case
  END IF;

  -- Appends refused before the insert, refused after it, or not stored whole; then every append of their streams in
  -- the call, since a later append of a stream continues the earlier ones. Their inserted entries come out again.
  CREATE TEMP TABLE IF NOT EXISTS salesops_journal_partial (append int) ON COMMIT DELETE ROWS;
  WITH refused AS (
    SELECT unnest(coalesce(v_taken, '{}') || coalesce(v_late, '{}')) AS append
    UNION
    SELECT i.append
    FROM unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
    LEFT JOIN unnest(w_streams, w_seqs) AS w(stream, seq) ON w.stream = i.stream AND w.seq = i.seq
    GROUP BY i.append HAVING count(w.seq) < count(*))
  INSERT INTO salesops_journal_partial
    SELECT DISTINCT i.append FROM unnest(p_streams, p_appends) AS i(stream, append)
    WHERE i.stream IN (
      SELECT r.stream FROM unnest(p_streams, p_appends) AS r(stream, append) WHERE r.append IN (SELECT f.append FROM refused f));

  DELETE FROM salesops_journal j
  USING unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)
  WHERE j.stream = i.stream AND j.seq = i.seq
    AND i.append IN (SELECT p.append FROM salesops_journal_partial p)
    AND (i.stream, i.seq) IN (SELECT w.stream, w.seq FROM unnest(w_streams, w_seqs) AS w(stream, seq));

  RETURN QUERY SELECT p.append FROM salesops_journal_partial p;
END
$fn$;
