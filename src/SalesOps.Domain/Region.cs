namespace SalesOps.Domain;

/// <summary>
/// A region (the company is the root region): its counters are the sum of everything credited to it by its reps
/// and child regions; it ranks every rep currently inside it on its leaderboards. Counter deltas and board updates
/// received here are passed on unchanged to the parent, so each figure rolls up through every ancestor.
/// </summary>
public sealed partial class RegionState
{
    /// <summary>Id of the root region that stands for the whole company.</summary>
    public const string CompanyId = "company";

    private readonly Dictionary<BoardKey, Leaderboard> _boards = new();
    private readonly Dictionary<string, long> _repSeq = new(StringComparer.Ordinal);

    // The tie-break keys its boards share (derived: FromSnapshot rebuilds it from the boards' reps), and the boards
    // whose rank changes are kept for overtakes, each with its reps' best ranks (what watchers ask for, not state:
    // re-established by Track, the bests from the ranking then).
    private RepOrder _order = new();
    private readonly Dictionary<BoardKey, BestRanks> _tracked = new();

    /// <param name="id">The region id.</param>
    /// <param name="dedup">How many of the region's target event ids it remembers to recognise re-sends (docs/semantics.md, rule 3).</param>
    public RegionState(string id, DedupWindow dedup)
        : this(id, new EventIdWindow(dedup))
    {
    }

    private RegionState(string id, EventIdWindow seenTargets) => (Id, _seenTargets) = (id, seenTargets);

    public string Id { get; }
    public bool IsDefined { get; private set; }
    public string DefineEventId { get; private set; } = "";
    public string Name { get; private set; } = "";

    /// <summary>Parent region id; empty for the company root.</summary>
    public string ParentId { get; private set; } = "";

    public FigureSet Figures { get; } = new();
    public TargetBook Targets { get; } = new();
    public PaceTracker Pace { get; } = new();

    /// <summary>Which current-period figures run behind the same period last year (the alert's latch).</summary>
    public LastYearTracker LastYear { get; } = new();

    /// <summary>The forecast submissions made for the region (for the company root: the company's).</summary>
    public ForecastBook Forecasts { get; } = new();

    /// <summary>Which periods' activity plans are behind (the alert's latch).</summary>
    public PlanTracker Plan { get; } = new();

    /// <summary>The reference variables recorded for the region's (the company's) year targets.</summary>
    public PlanningInputsBook Inputs { get; } = new();

    /// <summary>Which targets' bottom-up splits are uncovered (the alert's latch).</summary>
    public CoverageTracker Coverage { get; } = new();
    public IReadOnlyDictionary<BoardKey, Leaderboard> Boards => _boards;
    private readonly EventIdWindow _seenTargets;

    /// <summary>The de-dup window of the region's target events.</summary>
    internal EventIdWindow SeenTargets => _seenTargets;

    /// <summary>
    /// Everything this region holds, as bytes: definition, counters, targets with their stamps, the pace tracker's
    /// behind set, the de-dup window of target events, the last board sequence applied per rep, and every leaderboard
    /// (rows in rank order with movement, and version). <see cref="FromSnapshot"/> restores an exact copy.
    /// Compacts the region's figure and pace maps (see <see cref="Snapshots"/>); call it where a mutating method may be called.
    /// </summary>
    public byte[] ToSnapshot()
    {
        // Reps are named once per region and by index on the boards: one string per rep, not one per rep and board.
        var repIndex = new Dictionary<string, int>(_repSeq.Count, StringComparer.Ordinal);
        var boardReps = new List<string>(_repSeq.Count);
        int IndexOf(string rep)
        {
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(repIndex, rep, out var exists);
            if (!exists)
            {
                slot = boardReps.Count;
                boardReps.Add(rep);
            }

            return slot;
        }

        var boards = new List<BoardMemento>(_boards.Count);
        foreach (var (key, board) in _boards)
        {
            boards.Add(board.ToMemento(key, IndexOf));
        }

        return Snapshots.Write(
            new RegionMemento(
                Snapshots.FormatVersion,
                Snapshots.RegionKind,
                Id,
                IsDefined,
                DefineEventId,
                Name,
                ParentId,
                Figures.ToMemento(),
                Targets.ToMemento(),
                Pace.ToMemento(),
                _repSeq,
                boardReps.ToArray(),
                boards,
                TargetDedup: Snapshots.ToMemento(_seenTargets),
                BehindLastYear: Snapshots.NullIfEmpty(LastYear.ToMemento()),
                Forecasts: Forecasts.ToMemento(),
                BehindPlan: Snapshots.NullIfEmpty(Plan.ToMemento()),
                Uncovered: Snapshots.NullIfEmpty(Coverage.ToMemento()),
                Inputs: Inputs.ToMemento()),
            SnapshotJson.Default.RegionMemento);
    }

    /// <summary>Restores a region from <see cref="ToSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">Not a region snapshot, an unknown format version, or corrupt.</exception>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="dedup">The de-dup window in force now; a snapshot taken under a larger one is cut to it.</param>
    public static RegionState FromSnapshot(byte[] snapshot, DedupWindow dedup)
    {
        var m = Snapshots.Read(snapshot, Snapshots.RegionKind, SnapshotJson.Default.RegionMemento);

        // Every target event offers its stamp to its (period, metric) register, which keeps the latest; every forecast is kept.
        var newest = m.Targets.Select(t => t.At).Concat(m.Forecasts?.Select(f => f.At) ?? []).Concat(m.Inputs?.Select(i => i.At) ?? []).DefaultIfEmpty().Max();
        var region = new RegionState(m.Id, Snapshots.RestoreWindow(dedup, m, m.TargetDedup, m.SeenTargets, newest))
        {
            IsDefined = m.IsDefined,
            DefineEventId = m.DefineEventId,
            Name = m.Name,
            ParentId = m.ParentId,
        };
        region.Figures.Restore(m.Figures);
        region.Targets.Restore(m.Targets);
        region.Pace.Restore(m.Behind);
        region.LastYear.Restore(m.BehindLastYear);
        region.Forecasts.Restore(m.Forecasts);
        region.Plan.Restore(m.BehindPlan);
        region.Coverage.Restore(m.Uncovered);
        region.Inputs.Restore(m.Inputs);
        region._repSeq.EnsureCapacity(m.RepSeq.Count);
        foreach (var (rep, seq) in m.RepSeq)
        {
            region._repSeq.Add(rep, seq);
        }

        region._order = new RepOrder(m.BoardReps);
        foreach (var b in m.Boards)
        {
            if (!region._boards.TryAdd(new BoardKey(new Period(b.Period), b.Metric), Leaderboard.FromMemento(b, m.BoardReps, region._order)))
            {
                throw new InvalidDataException($"Corrupt snapshot: region '{m.Id}' lists board {b.Metric} {b.Period} twice.");
            }
        }

        return region;
    }

    /// <summary>Makes this the company root.</summary>
    public void DefineRoot(string name)
    {
        IsDefined = true;
        Name = name;
        ParentId = "";
        DefineEventId = "";
    }

    /// <summary>Defines the region. The parent must exist (checked by the caller); a region never changes parent.</summary>
    public Outcome Define(RegionDefined e, string resolvedParentId)
    {
        if (IsDefined)
        {
            if (e.EventId == DefineEventId)
            {
                return Outcome.Duplicate;
            }

            return resolvedParentId == ParentId && e.Name == Name
                ? Outcome.Duplicate
                : Outcome.Conflict("region_id", $"region '{Id}' is already defined under '{ParentId}' as '{Name}'; regions cannot be redefined");
        }

        IsDefined = true;
        DefineEventId = e.EventId;
        Name = e.Name;
        ParentId = resolvedParentId;
        return Outcome.Accepted;
    }

    /// <summary>Sets the region's own target; the change of what it counts in its parent's child-region sums goes to <paramref name="forParent"/>.</summary>
    public Outcome SetTarget(TargetSet e, FigureSet forParent)
    {
        if (Take(e) is { } refused)
        {
            return refused;
        }

        Targets.Offer(e);
        TargetSums.Follow(this, new TargetKey(e.Period, e.Metric, e.Dimension), forParent);
        return Outcome.Accepted;
    }

    /// <summary>Keeps a forecast submitted for the region; de-duplicated in the window of the region's target events.</summary>
    public Outcome SubmitForecast(ForecastSubmitted e)
    {
        if (Take(e) is { } refused)
        {
            return refused;
        }

        Forecasts.Add(e);
        return Outcome.Accepted;
    }

    /// <summary>Keeps the reference variables of one of the region's year targets; de-duplicated in the window of its target events.</summary>
    public Outcome RecordPlanningInputs(PlanningInputsRecorded e)
    {
        if (Take(e) is { } refused)
        {
            return refused;
        }

        Inputs.Offer(e);
        return Outcome.Accepted;
    }

    /// <summary>
    /// The checks of a target or forecast event (the region defined, the event new to its window), remembering it when
    /// it passes: null for an event to apply.
    /// </summary>
    private Outcome? Take(SalesEvent e)
    {
        if (!IsDefined)
        {
            return Outcome.NotFound("scope_id", $"region '{Id}' is not defined");
        }

        if (_seenTargets.Refuse(e.EventId, e.OccurredAt, $"the targets and forecasts of region '{Id}'") is { } refused)
        {
            return refused;
        }

        _seenTargets.Add(e.EventId, e.OccurredAt);
        return null;
    }

    public void ApplyDelta(FigureSet delta) => Figures.AddAll(delta);

    public Leaderboard? Board(BoardKey key) => _boards.GetValueOrDefault(key);

    /// <summary>
    /// Applies a rep's board update unless a newer one from that rep was already applied (updates reach a common
    /// ancestor along two paths after a move). Returns null when the update was stale and ignored; otherwise the boards
    /// whose entries it changed. The changes are staged (ADR 0034): each board ranks them when it is next read, and a
    /// tracked board keeps the ranks they change for <see cref="TakeRankChanges"/>.
    /// </summary>
    public List<BoardKey>? ApplyBoardUpdate(BoardUpdate update)
    {
        if (_repSeq.TryGetValue(update.RepId, out var last) && update.Seq <= last)
        {
            return null;
        }

        _repSeq[update.RepId] = update.Seq;
        var changed = new List<BoardKey>(update.Changes.Count);
        if (!update.InScope || update.Full)
        {
            var listed = update.Changes.Where(c => c.Score.HasValue).Select(c => c.Board).ToHashSet();
            foreach (var (key, board) in _boards)
            {
                if (!listed.Contains(key) && board.Stage(update.RepId, null))
                {
                    changed.Add(key);
                }
            }
        }

        if (!update.InScope)
        {
            return changed;
        }

        foreach (var change in update.Changes)
        {
            if (!_boards.TryGetValue(change.Board, out var board))
            {
                if (change.Score is null)
                {
                    continue;
                }

                board = new Leaderboard(_order);
                if (_tracked.ContainsKey(change.Board))
                {
                    board.Track();
                }

                _boards[change.Board] = board;
            }

            if (board.Stage(update.RepId, change.Score))
            {
                changed.Add(change.Board);
            }
        }

        return changed;
    }

    /// <summary>Drops the ranked rows of the boards nobody read since the previous call (<see cref="Leaderboard.Cool"/>); returns how many.</summary>
    public int CoolBoards()
    {
        var cooled = 0;
        foreach (var board in _boards.Values)
        {
            cooled += board.Cool() ? 1 : 0;
        }

        return cooled;
    }

    /// <summary>
    /// Merges one rep's board updates, in sequence order, into the single update with the same effect: the last
    /// full update or removal, with the later partial changes laid over it. Used to forward one update per rep.
    /// </summary>
    public static BoardUpdate Merge(IReadOnlyList<BoardUpdate> updates)
    {
        var ordered = updates.OrderBy(u => u.Seq).ToList();
        var baseIndex = ordered.FindLastIndex(u => u.Full || !u.InScope);
        var scores = new Dictionary<BoardKey, double?>();
        var inScope = true;
        if (baseIndex >= 0)
        {
            inScope = ordered[baseIndex].InScope;
            foreach (var c in ordered[baseIndex].Changes)
            {
                scores[c.Board] = c.Score;
            }
        }

        foreach (var u in ordered.Skip(baseIndex + 1))
        {
            inScope = true;
            foreach (var c in u.Changes)
            {
                scores[c.Board] = c.Score;
            }
        }

        var changes = scores.Select(kv => new ScoreChange(kv.Key, kv.Value)).ToList();
        return new BoardUpdate(ordered[^1].RepId, ordered[^1].Seq, inScope, baseIndex >= 0, changes);
    }
}
