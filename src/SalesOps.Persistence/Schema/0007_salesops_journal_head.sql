-- The head of each journal stream: the last entry number ever stored in it (and the first number of the append that
-- stored it). Truncation never touches it, so an append can be checked against it even after the entries before it
-- are gone (ADR 0042). Updated in place on every commit of the stream, so pages keep room for HOT updates.
CREATE TABLE IF NOT EXISTS salesops_journal_head (
  stream varchar(300) PRIMARY KEY,
  last_seq bigint NOT NULL,
  first_seq bigint NOT NULL)
WITH (fillfactor = 70);

-- One group commit of the journal in one statement, so in one implicit transaction and one round trip, fenced by the
-- heads: the entries of a stream in the call must be consecutive, and they go in only if they continue the stream
-- head (its head moves to their last number in the same statement) and no entry at or after their first number is
-- stored. A stream without a head yet (new, or last written before this script) starts one.
-- Returns the appends (their p_appends numbers) that were not stored. If any step fails, nothing of the call is stored;
-- an entry number already taken behind its head (only a writer that bypasses this function can do that) fails the
-- whole call.
CREATE OR REPLACE FUNCTION salesops_journal_append(p_streams text[], p_seqs bigint[], p_entries bytea[], p_appends int[])
RETURNS SETOF int
LANGUAGE plpgsql AS $fn$
DECLARE
  v_expected bigint;
  v_stored bigint;
  v_refused int[];
BEGIN
  WITH input AS (
    SELECT * FROM unnest(p_streams, p_seqs, p_entries, p_appends) AS i(stream, seq, entry, append)),
  spans AS (
    SELECT i.stream, min(i.seq) AS first, max(i.seq) AS last,
      count(*) = count(DISTINCT i.seq) AND count(*) = max(i.seq) - min(i.seq) + 1 AS whole
    FROM input i GROUP BY i.stream),
  fenced AS (
    -- A new stream inserts its head. An existing head is updated only where it is the first number minus one; when a
    -- concurrent commit of the same stream holds the row, this waits for it and checks the row that commit left, so
    -- of two writers of one number exactly one moves the head, and an append that follows one still in flight goes
    -- in once that one has committed. Rows are taken in stream order, so two commits never wait on each other.
    INSERT INTO salesops_journal_head AS h (stream, last_seq, first_seq)
    SELECT s.stream, s.last, s.first FROM spans s
    WHERE s.whole AND NOT EXISTS (SELECT 1 FROM salesops_journal j WHERE j.stream = s.stream AND j.seq >= s.first)
    ORDER BY s.stream
    ON CONFLICT (stream) DO UPDATE SET last_seq = EXCLUDED.last_seq, first_seq = EXCLUDED.first_seq
      WHERE h.last_seq = EXCLUDED.first_seq - 1
    RETURNING h.stream),
  inserted AS (
    INSERT INTO salesops_journal (stream, seq, entry)
    SELECT i.stream, i.seq, i.entry FROM input i WHERE i.stream IN (SELECT f.stream FROM fenced f)
    ON CONFLICT (stream, seq) DO NOTHING
    RETURNING 1)
  SELECT
    (SELECT count(*) FROM input i WHERE i.stream IN (SELECT f.stream FROM fenced f)),
    (SELECT count(*) FROM inserted),
    (SELECT array_agg(DISTINCT i.append) FROM input i WHERE i.stream NOT IN (SELECT f.stream FROM fenced f))
  INTO v_expected, v_stored, v_refused;

  IF v_stored <> v_expected THEN
    RAISE EXCEPTION 'salesops_journal_append: % of % entries were already stored behind the head of their stream',
      v_expected - v_stored, v_expected;
  END IF;

  RETURN QUERY SELECT unnest(coalesce(v_refused, '{}'));
END
$fn$;
