-- One group commit of the journal in one statement, so in one implicit transaction and one round trip:
-- insert every entry of the appends none of whose entries is stored yet, then take out again the entries of any
-- append that did not go in whole (another activation of the grain took one of its numbers meanwhile).
-- Returns the entries that stay stored. All or nothing: if any step fails, nothing of the call is stored.
CREATE OR REPLACE FUNCTION salesops_journal_append(p_streams text[], p_seqs bigint[], p_entries bytea[], p_appends int[])
RETURNS TABLE (out_stream text, out_seq bigint)
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

  IF w_streams IS NULL THEN
    RETURN;
  END IF;

  WITH input AS (
    SELECT * FROM unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)),
  written AS (
    SELECT * FROM unnest(w_streams, w_seqs) AS w(stream, seq)),
  partial AS (
    SELECT i.append FROM input i LEFT JOIN written w ON w.stream = i.stream AND w.seq = i.seq
    GROUP BY i.append HAVING count(w.seq) < count(*)),
  strays AS (
    SELECT w.stream, w.seq FROM written w JOIN input i ON i.stream = w.stream AND i.seq = w.seq
    WHERE i.append IN (SELECT p.append FROM partial p))
  DELETE FROM salesops_journal j USING strays s WHERE j.stream = s.stream AND j.seq = s.seq;

  RETURN QUERY
    WITH input AS (
      SELECT * FROM unnest(p_streams, p_seqs, p_appends) AS i(stream, seq, append)),
    written AS (
      SELECT * FROM unnest(w_streams, w_seqs) AS w(stream, seq)),
    partial AS (
      SELECT i.append FROM input i LEFT JOIN written w ON w.stream = i.stream AND w.seq = i.seq
      GROUP BY i.append HAVING count(w.seq) < count(*))
    SELECT i.stream, i.seq FROM input i JOIN written w ON w.stream = i.stream AND w.seq = i.seq
    WHERE i.append NOT IN (SELECT p.append FROM partial p);
END
$fn$;
