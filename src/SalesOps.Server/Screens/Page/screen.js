/*
 * SalesOps office screen: the live leaderboard a TV in a sales office shows, at /screen/<channel>.
 *
 * One stream (ScreenService.WatchScreen as newline-delimited JSON on the web port) carries everything: the channel
 * (its slides), each board slide's rows (a snapshot, then changed rows), each target-progress and team slide's
 * figures (all its rows each time), the alerts of the screen's region, and a heartbeat. The page rotates through the
 * slides (passing over a target-progress slide without rows), celebrates big won deals full screen, runs the alerts in
 * a ticker, and reconnects by itself, resuming the alerts where it left off.
 *
 * Plain script, no build step, no dependencies; served with a strict CSP (no inline script or style: every dynamic
 * style is set through the CSSOM). The only global is window.salesopsScreen, the state the browser tests read.
 *
 * Sections: constants and page parameters · test hook · formatting · avatars · header and clock · boards (state,
 * rendering with FLIP) · figures (target progress, team against team) · rotation · celebrations · ticker · connection ·
 * start.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------------------------------------------------
  // Constants and page parameters
  // ---------------------------------------------------------------------------------------------------------------

  var SILENCE_LIMIT_MS = 40000;           // no line for this long: the connection is dead (heartbeats come every 15 s)
  var BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
  var REFUSED_RETRY_MS = 30000;           // 401/403/404: the key or channel must change first, so retry slowly
  var STABLE_STREAM_MS = 20000;           // a stream that lived this long resets the backoff
  var DEFAULT_SLIDE_MS = 15000;
  var MIN_SLIDE_MS = 1000;
  var CELEBRATION_MS = 8000;
  var MAX_QUEUED_CELEBRATIONS = 10;       // a burst of big deals keeps the largest ten, not an endless queue
  var CELEBRATIONS_IN_A_ROW = 5;          // then the boards get a turn ...
  var CELEBRATION_BREAK_MS = 15000;       // ... this long, before the queue goes on
  var CELEBRATED_MEMORY = 200;            // sequences remembered to never celebrate twice
  var TICKER_SIZE = 20;
  var TICKER_SPEED_VW_PER_S = 6.5;        // ~125 px/s at 1080p: readable from across the room
  var MAX_ROWS = 20;
  var BOARD_RENDER_GAP_MS = 500;          // a busy board re-renders at most this often (a win shows within a second)
  var ROW_MOVE_MS = 450;

  var FIGURE_RENDER_GAP_MS = 250;        // figures come at most once a second per slide; a burst still renders once
  var PROGRESS_SCALE_MAX = 1.5;           // a target bar reaches to at most 150 % of must-achieve; beyond, it shows overflow

  var METRIC_NAMES = ['LEADERBOARD_METRIC_UNSPECIFIED', 'LEADERBOARD_METRIC_BOOKINGS', 'LEADERBOARD_METRIC_ATTAINMENT',
    'LEADERBOARD_METRIC_COLLECTIONS', 'LEADERBOARD_METRIC_ACTIVITIES', 'LEADERBOARD_METRIC_FORECAST_ACCURACY'];
  var TARGET_METRIC_NAMES = ['TARGET_METRIC_UNSPECIFIED', 'TARGET_METRIC_BOOKINGS', 'TARGET_METRIC_COLLECTIONS',
    'TARGET_METRIC_ACTIVITIES', 'TARGET_METRIC_NEW_CUSTOMERS', 'TARGET_METRIC_GROSS_MARGIN'];
  var TARGET_METRIC_LABELS = {
    TARGET_METRIC_BOOKINGS: 'Bookings',
    TARGET_METRIC_COLLECTIONS: 'Collections',
    TARGET_METRIC_ACTIVITIES: 'Activities',
    TARGET_METRIC_NEW_CUSTOMERS: 'New customers',
    TARGET_METRIC_GROSS_MARGIN: 'Gross margin'
  };

  var params = new URLSearchParams(location.search);
  var channelName = channelFromPath(location.pathname);
  var pinnedSlide = params.has('slide') ? parseInt(params.get('slide'), 10) : null;
  if (pinnedSlide !== null && !(pinnedSlide >= 0)) pinnedSlide = null;
  var rotating = pinnedSlide === null && params.get('rotate') !== '0';
  var soundOn = params.get('sound') === '1';
  // ?celebration=<seconds> (2–60): how long each celebration holds the screen.
  var celebrationSeconds = Number(params.get('celebration'));
  if (celebrationSeconds >= 2 && celebrationSeconds <= 60) CELEBRATION_MS = celebrationSeconds * 1000;
  var apiKey = takeApiKey(channelName);

  function channelFromPath(path) {
    var parts = path.split('/').filter(function (p) { return p.length > 0; });
    var last = parts.length > 1 ? parts[parts.length - 1] : 'default';
    try { return decodeURIComponent(last); } catch (e) { return last; }
  }

  /**
   * The screen's API key: from the address's fragment (#key=sok_...) when present, stored per channel so the TV
   * keeps it across reloads, and removed from the address bar so it is not on display; else the stored one.
   */
  function takeApiKey(channel) {
    var storageKey = 'salesops.screen.key:' + channel;
    // Not URLSearchParams: it reads '+' as a space, and a key may hold '+' (a bootstrap key in base64).
    var match = /(?:^#|&)key=([^&]*)/.exec(location.hash);
    if (match) {
      var key;
      try { key = decodeURIComponent(match[1]).trim(); } catch (e) { key = match[1].trim(); }
      try {
        if (key) localStorage.setItem(storageKey, key); else localStorage.removeItem(storageKey);
      } catch (e) { /* storage unavailable (private mode): the key lives as long as the page */ }
      try { history.replaceState(history.state, '', location.pathname + location.search); } catch (e) { /* ignore */ }
      return key || null;
    }
    try { return localStorage.getItem(storageKey); } catch (e) { return null; }
  }

  // A new key typed into the address of an open screen (only the fragment changes, so the page is not reloaded):
  // start over with it.
  window.addEventListener('hashchange', function () {
    if (/(^#|&)key=/.test(location.hash)) location.reload();
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Test hook: the browser tests read exactly these names. In the DOM they read .board-row[data-rep-id] (.rank, .name,
  // .region, .score, .target-label), .figure-row[data-region-id][data-metric] (.name, .value, .percent, .pace-status)
  // and .team-row[data-region-id] (.rank, .name, .value, .percent).
  // ---------------------------------------------------------------------------------------------------------------

  var hook = {
    state: 'connecting',        // 'connecting' | 'live' | 'reconnecting' | 'refused'
    slide: 0,                   // index of the slide shown
    slideTitle: '',
    lastSequence: null,         // highest alert sequence seen (or the resume point the server named)
    celebrating: null,          // {repName, amountMinor, customerName, sequence} while the overlay shows
    queuedCelebrations: 0,
    celebrated: [],             // sequences celebrated, oldest first
    tickerMessages: [],         // newest first
    boards: {},                 // slide index -> [{rank, repId, repName, regionName, score}] by rank
    figures: {},                // target-progress and team slides: slide index -> [{regionId, regionName, metric,
                                //   actual, mustAchieve, stretch, mustAttainment, pace, rank}] as last received
    passedOver: [],             // indices of target-progress slides without rows, left out of the rotation
    connects: 0,                // streams opened successfully
    error: null                 // the last error's text
  };
  window.salesopsScreen = hook;

  // ---------------------------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** proto3 JSON writes int64 as a string; amounts stay below 2^53, so a Number is exact. */
  function num(value) {
    if (value === undefined || value === null || value === '') return 0;
    var n = typeof value === 'number' ? value : Number(value);
    return isFinite(n) ? n : 0;
  }

  function metricName(metric) {
    return typeof metric === 'number' ? (METRIC_NAMES[metric] || METRIC_NAMES[0]) : (metric || METRIC_NAMES[0]);
  }

  /** "15s", "2.5s", "0.500s" → milliseconds; anything else → the default. */
  function durationMs(duration) {
    var match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(typeof duration === 'string' ? duration : '');
    var ms = match ? Math.round(parseFloat(match[1]) * 1000) : DEFAULT_SLIDE_MS;
    return Math.max(MIN_SLIDE_MS, ms);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Formatting: scores by metric, amounts in the company currency
  // ---------------------------------------------------------------------------------------------------------------

  var formatters = {};

  function formatter(key, options) {
    if (!formatters[key]) {
      try { formatters[key] = new Intl.NumberFormat(undefined, options); }
      catch (e) { formatters[key] = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }); }
    }
    return formatters[key];
  }

  function currencyDigits(code) {
    try { return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits; }
    catch (e) { return 2; }
  }

  /**
   * Minor units of the currency as money. Whole units on a board ("$11,450"): cents are noise from across the room.
   * From a million up, compact ("$1.25M"). `exact` keeps cents when there are any (the celebration's amount).
   */
  function formatMoney(minor, code, exact) {
    if (!code) return formatter('n', { maximumFractionDigits: 0 }).format(minor);
    var digits = currencyDigits(code);
    var major = minor / Math.pow(10, digits);
    var big = exact ? 1e9 : 1e6;
    if (Math.abs(major) >= big) {
      return formatter('c-compact-' + code, { style: 'currency', currency: code, notation: 'compact', maximumFractionDigits: 2 }).format(major);
    }
    var keepCents = exact && Math.round(minor) % Math.pow(10, digits) !== 0;
    return keepCents
      ? formatter('c-exact-' + code, { style: 'currency', currency: code }).format(major)
      : formatter('c-whole-' + code, { style: 'currency', currency: code, minimumFractionDigits: 0, maximumFractionDigits: 0 }).format(major);
  }

  function formatScore(score, metric, currency) {
    switch (metricName(metric)) {
      case 'LEADERBOARD_METRIC_BOOKINGS':
      case 'LEADERBOARD_METRIC_COLLECTIONS':
        return formatMoney(score, currency, false);
      case 'LEADERBOARD_METRIC_ACTIVITIES':
        return formatter('count', { maximumFractionDigits: 0 }).format(score);
      case 'LEADERBOARD_METRIC_ATTAINMENT':
      case 'LEADERBOARD_METRIC_FORECAST_ACCURACY':
        // The score is already a percent number (83.5): a tenth below 100 %, whole percents above.
        return Math.abs(score) < 100
          ? formatter('pct1', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(score / 100)
          : formatter('pct0', { style: 'percent', maximumFractionDigits: 0 }).format(score / 100);
      default:
        return formatter('n', { maximumFractionDigits: 2 }).format(score);
    }
  }

  /** "2026-12" → "December 2026", "2026-Q4" → "Q4 2026", "2026" → "2026". */
  function formatPeriod(period) {
    var month = /^(\d{4})-(\d{2})$/.exec(period || '');
    if (month) {
      var date = new Date(Number(month[1]), Number(month[2]) - 1, 1);
      try { return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' }).format(date); }
      catch (e) { return period; }
    }
    var quarter = /^(\d{4})-Q([1-4])$/.exec(period || '');
    if (quarter) return 'Q' + quarter[2] + ' ' + quarter[1];
    return period || '';
  }

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  var dateFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });

  // ---------------------------------------------------------------------------------------------------------------
  // Avatars: a photo when the row has one, else initials on a colour of the rep's own
  // ---------------------------------------------------------------------------------------------------------------

  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

  /**
   * Latin names: first letters of the first and last word ("Grace Dubois" → "GD"). CJK names: the family name comes
   * first, so colleagues go by the given name — the last two characters, or the whole of a two-character name
   * ("王小明" → "小明", "李洋" → "李洋"), as office chat apps in China show them.
   */
  function initialsOf(name) {
    var trimmed = (name || '').trim();
    if (!trimmed) return '?';
    if (CJK.test(trimmed)) {
      var chars = Array.from(trimmed.replace(/[\s·•.]/g, ''));
      return chars.length <= 2 ? chars.join('') : chars.slice(-2).join('');
    }
    var words = trimmed.split(/\s+/).filter(function (w) { return /[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]/.test(w); });
    if (words.length === 0) return Array.from(trimmed)[0].toUpperCase();
    var first = Array.from(words[0])[0];
    var last = words.length > 1 ? Array.from(words[words.length - 1])[0] : '';
    return (first + last).toUpperCase();
  }

  function hueOf(key) {
    var hash = 0;
    for (var i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
    return Math.abs(hash) % 360;
  }

  function safePhotoUrl(url) {
    return typeof url === 'string' && /^(https:\/\/|data:image\/|\/)/i.test(url) ? url : null;
  }

  /** Fills an .avatar element: the photo if it loads, else the initials. */
  function paintAvatar(node, repId, name, photoUrl) {
    var url = safePhotoUrl(photoUrl);
    var key = (url || '') + '|' + name;
    if (node.dataset.key === key) return;
    node.dataset.key = key;
    node.textContent = '';
    node.style.backgroundColor = 'hsl(' + hueOf(repId || name || '?') + ', 52%, 38%)';
    var initials = initialsOf(name);
    var text = el('span', 'initials', initials);
    node.classList.toggle('cjk', CJK.test(initials));
    node.classList.toggle('two', Array.from(initials).length > 1);
    if (HAN.test(initials)) text.lang = 'zh-CN';
    node.appendChild(text);
    if (url) {
      var img = el('img', 'photo');
      img.alt = '';
      img.referrerPolicy = 'no-referrer';
      img.decoding = 'async';
      img.addEventListener('error', function () { img.remove(); });
      img.src = url;
      node.appendChild(img);
    }
  }

  /** Sets text, marking Chinese text zh-CN so the Simplified Chinese glyph forms are chosen. */
  function setName(node, text) {
    node.textContent = text;
    if (HAN.test(text)) node.lang = 'zh-CN'; else node.removeAttribute('lang');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Model
  // ---------------------------------------------------------------------------------------------------------------

  var model = {
    screen: null,           // the ScreenChannel message
    slides: [],
    slidesKey: null,        // the slides as JSON: a changed channel restarts the rotation
    boards: [],             // per slide: {rows: Map(repId -> entry), sorted: [], total, received}
    figures: [],            // per target-progress or team slide: {rows: [], elapsedShare, received}
    photos: {},             // repId -> photoUrl, for the celebration's avatar
    alertLogId: null        // the alert log the sequences seen belong to (a restarted server has another)
  };

  function currency() { return model.screen ? model.screen.currencyCode || '' : ''; }

  // ---------------------------------------------------------------------------------------------------------------
  // Header, clock, connection indicators
  // ---------------------------------------------------------------------------------------------------------------

  function renderHeader() {
    var screen = model.screen || {};
    var channel = screen.channel || {};
    var title = channel.title || screen.regionName || channelName;
    setName($('channel-title'), title);
    $('company-name').textContent = screen.companyName && screen.companyName !== title ? screen.companyName : '';
    document.title = title + ' · SalesOps';
  }

  function renderSlideHead() {
    var slide = model.slides[rotation.index];
    var board = model.boards[rotation.index];
    var title = slide ? slide.title || '' : '';
    var period = periodOf(slide);
    // A derived title names the period as "2026-12": show it as "December 2026" there instead of twice.
    var periodInTitle = period && title.indexOf(period) >= 0;
    var shownTitle = periodInTitle ? title.replace(period, formatPeriod(period)) : title;
    setName($('slide-title'), shownTitle);
    // Longer than about 30 Latin letters (a CJK character is as wide as two): a smaller size rather than cut off.
    var width = Array.from(shownTitle).reduce(function (sum, ch) { return sum + (CJK.test(ch) ? 2 : 1); }, 0);
    $('slide-title').classList.toggle('long', width > 30);
    $('slide-period').textContent = periodInTitle ? '' : formatPeriod(period);
    var shown = board ? Math.min(board.sorted.length, limitOf(slide)) : 0;
    var total = board && board.total > shown ? 'Top ' + shown + ' of ' + board.total : '';
    if (slide && slide.team) {
      total = (slide.team.regionIds || []).length + ' teams' + (slide.team.rankByAttainment ? ', ranked by share of target' : '');
    }
    $('slide-total').textContent = total;
    setName($('slide-region'), slide && slide.targetProgress ? progressRegionName(rotation.index) : '');
    var dots = $('slide-dots');
    if (dots.children.length !== model.slides.length) {
      dots.textContent = '';
      for (var i = 0; i < model.slides.length; i++) dots.appendChild(el('span', 'slide-dot'));
    }
    for (var j = 0; j < dots.children.length; j++) {
      dots.children[j].classList.toggle('current', j === rotation.index);
      // A slide passed over in the rotation has no dot, unless it is the one shown (pinned, or every slide is empty).
      dots.children[j].classList.toggle('hidden', j !== rotation.index && isPassedOver(j));
    }
    dots.classList.toggle('hidden', shownSlideCount() < 2);
  }

  function tickClock() {
    var now = new Date();
    $('clock').textContent = timeFormat.format(now);
    $('date').textContent = dateFormat.format(now);
    if (hook.state === 'reconnecting' || hook.state === 'refused') renderRetryCountdown();
  }

  function setState(state) {
    hook.state = state;
    var body = document.body;
    ['connecting', 'live', 'reconnecting', 'refused'].forEach(function (s) { body.classList.toggle('state-' + s, s === state); });
    $('status').classList.toggle('visible', state === 'reconnecting');
    $('live-label').textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting' : state === 'refused' ? 'Refused' : 'Offline';
    if (state !== 'refused') hideRefused();
    renderRetryCountdown();
    if (!model.screen) renderBoard(false);
  }

  function renderRetryCountdown() {
    var seconds = connection.retryAt ? Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000)) : 0;
    $('status-text').textContent = seconds > 0 ? 'Reconnecting… next try in ' + seconds + ' s' : 'Reconnecting…';
    if (hook.state === 'refused') {
      $('refused-retry').textContent = seconds > 0 ? 'Trying again in ' + seconds + ' s' : 'Trying again…';
    }
  }

  function showRefused(status, message) {
    var title, detail;
    if (status === 404) {
      title = 'No channel named “' + channelName + '”';
      detail = 'An administrator defines channels (PUT /v1/channels/' + channelName + '); the channel “default” always exists.';
    } else if (status === 403) {
      title = 'This screen\'s key may not show channel “' + channelName + '”';
      detail = message || 'The key\'s role or region does not cover every board of this channel.';
    } else {
      title = 'This screen\'s key was not accepted';
      detail = apiKey
        ? 'The key may have been revoked or expired. Open this screen with a new key: /screen/' + channelName + '#key=…'
        : 'This server requires a key. Open this screen as /screen/' + channelName + '#key=… with a screen API key.';
    }
    $('refused-title').textContent = title;
    $('refused-detail').textContent = detail;
    $('refused').classList.add('visible');
    $('refused').setAttribute('aria-hidden', 'false');
  }

  function hideRefused() {
    $('refused').classList.remove('visible');
    $('refused').setAttribute('aria-hidden', 'true');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Boards: per-slide state keyed by rep, and the visible board's rows
  // ---------------------------------------------------------------------------------------------------------------

  function limitOf(slide) {
    var top = slide && slide.board ? num(slide.board.top) : 0;
    return Math.min(MAX_ROWS, top > 0 ? top : MAX_ROWS);
  }

  function byRank(a, b) {
    return a.rank - b.rank || b.score - a.score || (a.repName < b.repName ? -1 : a.repName > b.repName ? 1 : 0);
  }

  function normalizeEntry(e) {
    return {
      rank: num(e.rank),
      repId: e.repId || '',
      score: num(e.score),
      movement: num(e.movement),
      repName: e.repName || e.repId || '',
      regionId: e.regionId || '',
      regionName: e.regionName || '',
      photoUrl: e.photoUrl || null,
      target: null
    };
  }

  /** A row's must-achieve bar: its score against the rep's target (sent with the row's changes), the pace marker at the period's elapsed share. */
  function targetOf(board, entry) {
    var must = board.targets.get(entry.repId);
    return must > 0 ? { mustAttainment: entry.score / must, elapsedShare: board.elapsedShare } : null;
  }

  function onBoard(message) {
    var index = num(message.slide);
    var update = message.update || {};
    var board = model.boards[index];
    if (!board) board = model.boards[index] = { rows: new Map(), targets: new Map(), elapsedShare: NaN, sorted: [], total: 0, received: false };
    if (update.snapshot) board.rows.clear();
    if (message.elapsedShare !== undefined && message.elapsedShare !== null) board.elapsedShare = Number(message.elapsedShare);
    (message.targets || []).forEach(function (t) { if (t.repId) board.targets.set(t.repId, num(t.mustAchieve)); });
    (update.entries || []).forEach(function (raw) {
      var entry = normalizeEntry(raw);
      if (!entry.repId) return;
      board.rows.set(entry.repId, entry);
      if (entry.photoUrl) model.photos[entry.repId] = entry.photoUrl;
    });
    (update.removedRepIds || []).forEach(function (id) { board.rows.delete(id); });
    board.total = num(update.total);
    board.received = true;
    board.rows.forEach(function (entry) { entry.target = targetOf(board, entry); });
    board.sorted = Array.from(board.rows.values()).sort(byRank);
    hook.boards[index] = board.sorted.map(function (e) {
      return { rank: e.rank, repId: e.repId, repName: e.repName, regionName: e.regionName, score: e.score };
    });
    if (index === rotation.index) scheduleBoardRender();
  }

  var boardRender = { timer: null, last: 0 };

  /** Renders the shown slide at most once per `gapMs` (a board's by default): a burst of updates renders once. */
  function scheduleBoardRender(gapMs) {
    if (boardRender.timer) return;
    var wait = Math.max(0, boardRender.last + (gapMs || BOARD_RENDER_GAP_MS) - Date.now());
    boardRender.timer = setTimeout(function () {
      boardRender.timer = null;
      renderBoard(true);
    }, wait);
  }

  /**
   * Renders the shown slide's board. With `animate`, rows that moved glide from where they were (FLIP: measure,
   * reorder, invert with a transform, then let the transform transition back to none) and a changed score flashes;
   * without it (a new slide), rows are rebuilt and slide in one after another.
   */
  function renderBoard(animate) {
    boardRender.last = Date.now();
    var boardEl = $('board');
    var slide = model.slides[rotation.index];
    // Target-progress and team slides draw into #figures; the board stays empty meanwhile.
    var figures = isFigureSlide(slide);
    boardEl.classList.toggle('hidden', figures);
    $('figures').classList.toggle('hidden', !figures);
    if (figures) {
      boardEl.textContent = '';
      renderFigures(animate);
      return;
    }
    $('figures').textContent = '';
    var board = model.boards[rotation.index];
    var metric = slide && slide.board ? slide.board.metric : null;
    var entries = board ? board.sorted.slice(0, limitOf(slide)) : [];

    renderBoardMessage(slide, board, entries.length);
    renderSlideHead();

    // Layout: one column up to 10 rows, two beyond; rows sized to fill the height (CSS variables, CSSOM).
    var columns = entries.length > 10 ? 2 : 1;
    var perColumn = Math.max(1, Math.ceil(entries.length / columns));
    boardEl.style.setProperty('--rows-per-col', String(perColumn));
    // Row height: a share of the board's height, but no taller than a seventh of it when there are few rows.
    boardEl.style.setProperty('--row-scale', String(Math.max(perColumn, 7)));
    boardEl.style.setProperty('--cols', String(columns));
    boardEl.classList.toggle('two-columns', columns === 2);

    // An empty board (the first snapshot of a slide) gets the entrance of a new slide, not the moves of a live one.
    if (boardEl.children.length === 0) animate = false;
    if (!animate) boardEl.textContent = '';
    var existing = new Map();
    Array.prototype.forEach.call(boardEl.children, function (row) { existing.set(row.dataset.repId, row); });

    // First: where every row is now (including any transform of a move still under way).
    var before = new Map();
    if (animate) existing.forEach(function (row, id) { before.set(id, row.getBoundingClientRect()); });

    entries.forEach(function (entry, i) {
      var row = existing.get(entry.repId);
      var fresh = !row;
      if (fresh) row = createRow(entry.repId);
      existing.delete(entry.repId);
      updateRow(row, entry, metric, animate && !fresh);
      if (boardEl.children[i] !== row) boardEl.insertBefore(row, boardEl.children[i] || null);
      if (fresh) {
        row.classList.add(animate ? 'arriving' : 'entering');
        if (!animate) row.style.animationDelay = (i * 45) + 'ms';
      }
    });
    existing.forEach(function (row) { row.remove(); });

    // Last, Invert, Play.
    if (animate && before.size > 0) {
      var moved = [];
      Array.prototype.forEach.call(boardEl.children, function (row) {
        var first = before.get(row.dataset.repId);
        if (!first) return;
        var last = row.getBoundingClientRect();
        var dx = first.left - last.left;
        var dy = first.top - last.top;
        if (Math.abs(dx) < 0.5 && Math.abs(dy) < 0.5) return;
        row.style.transition = 'none';
        row.style.transform = 'translate(' + dx + 'px, ' + dy + 'px)';
        row.classList.toggle('rising', dy > 0);
        moved.push(row);
      });
      if (moved.length > 0) {
        void boardEl.offsetHeight; // commit the inverted positions before transitioning back
        moved.forEach(function (row) {
          row.style.transition = 'transform ' + ROW_MOVE_MS + 'ms cubic-bezier(0.2, 0.8, 0.2, 1)';
          row.style.transform = '';
        });
      }
    }
  }

  function renderBoardMessage(slide, board, count) {
    var text = '';
    if (!model.screen) {
      text = hook.state === 'refused' ? '' : 'Connecting to channel “' + channelName + '”…';
    } else if (!slide) {
      text = 'This channel has no slides.';
    } else if (isFigureSlide(slide)) {
      var figures = model.figures[rotation.index];
      if (!figures || !figures.received) text = 'Loading the figures…';
      else if (count === 0) text = 'No figures yet for ' + (formatPeriod(periodOf(slide)) || 'this period') + '.';
    } else if (!slide.board) {
      text = 'This slide cannot be shown on this screen.';
    } else if (!board || !board.received) {
      text = 'Loading the board…';
    } else if (count === 0) {
      text = 'No figures yet for ' + (formatPeriod(slide.board.period) || 'this period') + '.';
    }
    $('board-message').textContent = text;
    $('board-message').classList.toggle('visible', text.length > 0);
  }

  /** The small share-of-target bar of a rep's or a team's row: its fill and the pace marker. */
  function targetBar() {
    var bar = el('div', 'target-bar');
    bar.appendChild(el('div', 'target-fill'));
    bar.appendChild(el('div', 'target-pace'));
    return bar;
  }

  function createRow(repId) {
    var row = el('div', 'board-row');
    row.dataset.repId = repId;
    var rank = el('div', 'rank');
    rank.appendChild(el('span', 'rank-number'));
    row.appendChild(rank);
    row.appendChild(el('div', 'avatar'));
    // The name on its own line, as wide as it can be; under it the region and, when known, the target bar.
    var who = el('div', 'who');
    who.appendChild(el('div', 'name'));
    var meta = el('div', 'meta');
    meta.appendChild(el('div', 'region'));
    var target = el('div', 'target absent');
    target.appendChild(targetBar());
    target.appendChild(el('div', 'target-label'));
    meta.appendChild(target);
    who.appendChild(meta);
    row.appendChild(who);
    row.appendChild(el('div', 'movement'));
    row.appendChild(el('div', 'score'));
    row.addEventListener('animationend', function (event) {
      if (event.animationName === 'score-flash') row.classList.remove('flash');
      if (event.animationName === 'row-enter') { row.classList.remove('entering', 'arriving'); row.style.animationDelay = ''; }
    });
    row.addEventListener('transitionend', function (event) {
      if (event.propertyName === 'transform') row.classList.remove('rising');
    });
    return row;
  }

  function updateRow(row, entry, metric, flashOnChange) {
    var rank = entry.rank;
    row.querySelector('.rank-number').textContent = String(rank);
    row.classList.toggle('top1', rank === 1);
    row.classList.toggle('top2', rank === 2);
    row.classList.toggle('top3', rank === 3);
    row.classList.toggle('podium', rank >= 1 && rank <= 3);

    paintAvatar(row.querySelector('.avatar'), entry.repId, entry.repName, entry.photoUrl);
    var name = row.querySelector('.name');
    if (name.textContent !== entry.repName) setName(name, entry.repName);
    var region = row.querySelector('.region');
    if (region.textContent !== entry.regionName) setName(region, entry.regionName);

    var score = row.querySelector('.score');
    var text = formatScore(entry.score, metric, currency());
    if (score.textContent !== text) {
      score.textContent = text;
      var previous = row.dataset.score;
      row.dataset.score = String(entry.score);
      if (flashOnChange && previous !== undefined && Number(previous) !== entry.score) {
        // The flash takes over the row's animation: an entrance still under way ends here, not after it.
        row.classList.remove('flash', 'entering', 'arriving');
        row.style.animationDelay = '';
        void row.offsetWidth; // restart the animation
        row.classList.add('flash');
      }
    } else {
      row.dataset.score = String(entry.score);
    }

    var movement = row.querySelector('.movement');
    movement.classList.toggle('up', entry.movement > 0);
    movement.classList.toggle('down', entry.movement < 0);
    movement.textContent = entry.movement > 0 ? '▲' + entry.movement : entry.movement < 0 ? '▼' + (-entry.movement) : '';

    renderTarget(row.querySelector('.target'), entry.target);
  }

  /**
   * The must-achieve progress bar: target.mustAttainment is actual ÷ must-achieve (1 = 100 %), target.elapsedShare
   * the share of the period gone (0–1), as in queries.proto's TargetFigure. Absent fields hide the bar or marker.
   */
  function renderTarget(node, target) {
    var attainment = target && target.mustAttainment !== undefined && target.mustAttainment !== null ? Number(target.mustAttainment) : NaN;
    node.parentNode.classList.toggle('with-target', isFinite(attainment));
    if (!isFinite(attainment)) {
      node.classList.add('absent');
      return;
    }
    node.classList.remove('absent');
    var elapsed = target.elapsedShare !== undefined && target.elapsedShare !== null ? Number(target.elapsedShare) : NaN;
    var fill = node.querySelector('.target-fill');
    fill.style.transform = 'scaleX(' + Math.max(0, Math.min(1, attainment)) + ')';
    var behind = isFinite(elapsed) && attainment < elapsed;
    node.classList.toggle('behind', behind);
    node.classList.toggle('done', attainment >= 1);
    var pace = node.querySelector('.target-pace');
    pace.classList.toggle('hidden', !isFinite(elapsed));
    if (isFinite(elapsed)) pace.style.left = (Math.max(0, Math.min(1, elapsed)) * 100) + '%';
    node.querySelector('.target-label').textContent = formatter('pct0', { style: 'percent', maximumFractionDigits: 0 }).format(attainment);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Figures: target-progress and team slides (ScreenFiguresUpdate: the slide's rows, each time in full)
  // ---------------------------------------------------------------------------------------------------------------

  function isFigureSlide(slide) { return !!(slide && (slide.targetProgress || slide.team)); }

  /** The period a slide shows ("2026-11"), whatever its kind. */
  function periodOf(slide) {
    var kind = slide ? slide.board || slide.targetProgress || slide.team : null;
    return kind ? kind.period || '' : '';
  }

  function targetMetricName(metric) {
    return typeof metric === 'number' ? (TARGET_METRIC_NAMES[metric] || TARGET_METRIC_NAMES[0]) : (metric || TARGET_METRIC_NAMES[0]);
  }

  function isMoneyMetric(metric) {
    return metric === 'TARGET_METRIC_BOOKINGS' || metric === 'TARGET_METRIC_COLLECTIONS' || metric === 'TARGET_METRIC_GROSS_MARGIN';
  }

  /** A figure in its metric's unit: money in whole units of the company currency, else a count. */
  function formatFigure(value, metric) {
    return isMoneyMetric(metric)
      ? formatMoney(value, currency(), false)
      : formatter('count', { maximumFractionDigits: 0 }).format(value);
  }

  function formatPercent(share) {
    return formatter('pct0', { style: 'percent', maximumFractionDigits: 0 }).format(share);
  }

  /** The region a target-progress slide shows: its rows' name once they came, else its id. */
  function progressRegionName(index) {
    var figures = model.figures[index];
    if (figures && figures.rows.length > 0) return figures.rows[0].regionName;
    // Before they came: the screen's own region's name when it is that one; never an id a person would read.
    var slide = model.slides[index];
    var scope = slide && slide.targetProgress ? slide.targetProgress.scopeRegionId || '' : '';
    return model.screen && scope === model.screen.regionId ? model.screen.regionName || '' : '';
  }

  function normalizeFigure(r) {
    var must = num(r.mustAchieve);
    var actual = num(r.actual);
    return {
      regionId: r.regionId || '',
      regionName: r.regionName || r.regionId || '',
      metric: targetMetricName(r.metric),
      actual: actual,
      mustAchieve: must,
      stretch: num(r.stretch),
      mustAttainment: r.mustAttainment !== undefined ? Number(r.mustAttainment) || 0 : (must > 0 ? actual / must : 0),
      pace: Number(r.pace) || 0,
      rank: num(r.rank),
      behindPace: r.behindPace === true      // the engine's own verdict (GetRegion's behind_pace)
    };
  }

  function onFigures(message) {
    var index = num(message.slide);
    var wasPassedOver = isPassedOver(index);
    var figures = model.figures[index] = {
      rows: (message.rows || []).map(normalizeFigure),
      elapsedShare: message.elapsedShare !== undefined && message.elapsedShare !== null ? Number(message.elapsedShare) : 0,
      received: true
    };
    hook.figures[index] = figures.rows.map(function (r) {
      return {
        regionId: r.regionId, regionName: r.regionName, metric: r.metric, actual: r.actual, mustAchieve: r.mustAchieve,
        stretch: r.stretch, mustAttainment: r.mustAttainment, pace: r.pace, rank: r.rank, behindPace: r.behindPace
      };
    });
    if (wasPassedOver !== isPassedOver(index)) {
      onPassedOverChanged();
      // Rows came for a slide that was passed over while the one shown has none: show it now.
      if (wasPassedOver && rotating && !rotation.paused && isPassedOver(rotation.index)) showSlide(index);
    }
    if (index === rotation.index) scheduleBoardRender(FIGURE_RENDER_GAP_MS);
  }

  /** The shown target-progress or team slide: built anew on a new slide, updated in place (with motion) when live. */
  function renderFigures(animate) {
    var root = $('figures');
    var slide = model.slides[rotation.index];
    var figures = model.figures[rotation.index];
    var rows = figures ? figures.rows : [];
    var kind = slide.targetProgress ? 'progress' : 'team';
    renderBoardMessage(slide, null, rows.length);
    renderSlideHead();
    if (root.dataset.kind !== kind || root.children.length === 0) animate = false;
    if (!animate) root.textContent = '';
    root.dataset.kind = kind;
    root.className = 'figures ' + kind + '-slide';
    root.style.setProperty('--count', String(Math.max(1, rows.length)));
    if (kind === 'progress') renderProgressRows(root, rows, figures ? figures.elapsedShare : 0, animate);
    else renderTeamRows(root, slide.team, rows, figures ? figures.elapsedShare : 0, animate);
  }

  /** Rows keyed by `key`: existing ones kept (for their transitions), new ones made, gone ones removed, in order. */
  function syncRows(root, items, keyOf, create, update, animate) {
    var existing = new Map();
    Array.prototype.forEach.call(root.children, function (node) { existing.set(node.dataset.key, node); });
    items.forEach(function (item, i) {
      var key = keyOf(item);
      var node = existing.get(key);
      var fresh = !node;
      if (fresh) {
        node = create(item);
        node.dataset.key = key;
        node.addEventListener('animationend', function (event) {
          if (event.animationName === 'row-enter') { node.classList.remove('entering'); node.style.animationDelay = ''; }
          if (event.animationName === 'row-glow') node.classList.remove('flash');
        });
      }
      existing.delete(key);
      update(node, item, animate && !fresh);
      if (root.children[i] !== node) root.insertBefore(node, root.children[i] || null);
      if (fresh) {
        node.classList.add('entering');
        node.style.animationDelay = (animate ? 0 : i * 70) + 'ms';
      }
    });
    existing.forEach(function (node) { node.remove(); });
  }

  /** Flashes a row whose figure changed (live updates only). */
  function flashIfChanged(node, value, flashOnChange) {
    var previous = node.dataset.value;
    node.dataset.value = String(value);
    if (!flashOnChange || previous === undefined || Number(previous) === value) return;
    node.classList.remove('flash', 'entering');
    node.style.animationDelay = '';
    void node.offsetWidth; // restart the animation
    node.classList.add('flash');
  }

  // ----- Target progress: a bar per metric ------------------------------------------------------------------------

  function renderProgressRows(root, rows, elapsed, animate) {
    // One scale for every bar of the slide: to 100 % of must-achieve, or further when a stretch target or a figure
    // goes beyond (at most 150 %; beyond that the bar shows its overflow).
    var scale = 1;
    rows.forEach(function (r) {
      if (r.mustAchieve > 0) scale = Math.max(scale, r.stretch / r.mustAchieve, r.mustAttainment);
    });
    scale = Math.min(PROGRESS_SCALE_MAX, Math.ceil(scale * 20) / 20);
    syncRows(root, rows, function (r) { return r.metric; }, createProgressRow, function (node, r, live) {
      updateProgressRow(node, r, elapsed, scale, live);
    }, animate);
    Array.prototype.forEach.call(root.children, placeBarLabels);
  }

  function createProgressRow(r) {
    var row = el('div', 'figure-row');
    row.dataset.regionId = r.regionId;
    row.dataset.metric = r.metric;
    var line = el('div', 'figure-line');
    line.appendChild(el('div', 'name'));
    var numbers = el('div', 'figure-numbers');
    numbers.appendChild(el('span', 'value'));
    numbers.appendChild(el('span', 'of'));
    line.appendChild(numbers);
    line.appendChild(el('div', 'percent'));
    line.appendChild(el('div', 'pace-status'));
    row.appendChild(line);
    var bar = el('div', 'figure-bar');
    var track = el('div', 'bar-track');
    track.appendChild(el('div', 'bar-fill'));
    track.appendChild(el('div', 'bar-marker bar-goal'));
    track.appendChild(el('div', 'bar-marker bar-stretch'));
    track.appendChild(el('div', 'bar-marker bar-pace'));
    bar.appendChild(track);
    var labels = el('div', 'bar-labels');
    labels.appendChild(el('span', 'bar-label pace-label'));
    labels.appendChild(el('span', 'bar-label goal-label', '100%'));
    labels.appendChild(el('span', 'bar-label stretch-label'));
    bar.appendChild(labels);
    row.appendChild(bar);
    return row;
  }

  function updateProgressRow(row, r, elapsed, scale, live) {
    row.dataset.regionId = r.regionId;
    var name = TARGET_METRIC_LABELS[r.metric] || r.metric;
    row.querySelector('.name').textContent = name;
    row.querySelector('.value').textContent = formatFigure(r.actual, r.metric);
    flashIfChanged(row, r.actual, live);

    var hasTarget = r.mustAchieve > 0;
    row.classList.toggle('no-target', !hasTarget);
    var status = row.querySelector('.pace-status');
    if (!hasTarget) {
      row.querySelector('.of').textContent = '';
      row.querySelector('.percent').textContent = '';
      status.textContent = 'No target';
      status.className = 'pace-status none';
      row.classList.remove('behind', 'reached', 'overflow');
      return;
    }
    var attainment = r.mustAttainment;
    var paceFigure = r.mustAchieve * elapsed;
    var behind = r.behindPace;
    var reached = r.actual >= r.mustAchieve;
    row.querySelector('.of').textContent = 'of ' + formatFigure(r.mustAchieve, r.metric);
    row.querySelector('.percent').textContent = formatPercent(attainment);
    status.textContent = reached ? 'Target met' : behind ? 'Behind pace' : 'Ahead of pace';
    status.className = 'pace-status ' + (reached ? 'ahead reached' : behind ? 'behind' : 'ahead');
    row.classList.toggle('behind', behind);
    row.classList.toggle('reached', reached);
    row.classList.toggle('overflow', attainment > scale);

    var fill = row.querySelector('.bar-fill');
    fill.style.transform = 'scaleX(' + Math.max(0, Math.min(1, attainment / scale)).toFixed(4) + ')';
    var goal = row.querySelector('.bar-goal');
    goal.style.left = (100 / scale) + '%';
    var pace = row.querySelector('.bar-pace');
    var paceAt = Math.max(0, Math.min(1, elapsed)) / scale;
    pace.style.left = (paceAt * 100) + '%';
    var stretchShare = r.stretch > r.mustAchieve ? r.stretch / r.mustAchieve : 0;
    var stretch = row.querySelector('.bar-stretch');
    stretch.classList.toggle('hidden', !stretchShare);
    if (stretchShare) stretch.style.left = (Math.min(1, stretchShare / scale) * 100) + '%';

    var labels = row.querySelector('.bar-labels');
    var paceLabel = labels.querySelector('.pace-label');
    paceLabel.textContent = 'Pace ' + formatFigure(Math.round(paceFigure), r.metric);
    paceLabel.dataset.at = String(paceAt);
    var goalLabel = labels.querySelector('.goal-label');
    goalLabel.dataset.at = String(1 / scale);
    var stretchLabel = labels.querySelector('.stretch-label');
    stretchLabel.textContent = stretchShare ? 'Stretch ' + formatFigure(r.stretch, r.metric) : '';
    stretchLabel.dataset.at = stretchShare ? String(Math.min(1, stretchShare / scale)) : '';
  }

  /**
   * The labels under a bar, each centred under its marker (kept inside the bar's width); one that would overlap a
   * more important one is left out: the pace first, then the stretch target, then 100 %.
   */
  function placeBarLabels(row) {
    if (row.classList.contains('no-target')) return;
    var box = row.querySelector('.bar-labels');
    var width = box.clientWidth;
    if (!width) return;
    var placed = [];
    ['.pace-label', '.stretch-label', '.goal-label'].forEach(function (selector) {
      var label = box.querySelector(selector);
      var at = label.dataset.at;
      label.classList.remove('hidden');
      if (!at || !label.textContent) { label.classList.add('hidden'); return; }
      var w = label.offsetWidth;
      var left = Math.max(0, Math.min(width - w, Number(at) * width - w / 2));
      var gap = width * 0.012;
      var clash = placed.some(function (p) { return left < p.right + gap && left + w + gap > p.left; });
      if (clash) { label.classList.add('hidden'); return; }
      label.style.left = (left / width * 100).toFixed(3) + '%'; // a share: it holds when the screen is resized
      placed.push({ left: left, right: left + w });
    });
  }

  // ----- Team against team ----------------------------------------------------------------------------------------

  function renderTeamRows(root, team, rows, elapsed, animate) {
    var byAttainment = !!(team && team.rankByAttainment);
    // The long bar shows what the teams are ranked by, against the best of them.
    var best = 0;
    rows.forEach(function (r) { best = Math.max(best, byAttainment ? r.mustAttainment : r.actual); });

    // First (FLIP): where each row is now, including a move still under way.
    var before = new Map();
    if (animate) Array.prototype.forEach.call(root.children, function (node) { before.set(node, node.getBoundingClientRect()); });

    syncRows(root, rows, function (r) { return r.regionId; }, createTeamRow, function (node, r, live) {
      updateTeamRow(node, r, elapsed, best > 0 ? (byAttainment ? r.mustAttainment : r.actual) / best : 0, live);
    }, animate);

    // Last, Invert, Play: a team that changed place glides there.
    var moved = [];
    before.forEach(function (first, node) {
      if (!node.parentNode) return;
      var last = node.getBoundingClientRect();
      var dy = first.top - last.top;
      if (Math.abs(dy) < 0.5) return;
      node.style.transition = 'none';
      node.style.transform = 'translate(0, ' + dy + 'px)';
      node.classList.toggle('rising', dy > 0);
      moved.push(node);
    });
    if (moved.length > 0) {
      void root.offsetHeight; // commit the inverted positions before transitioning back
      moved.forEach(function (node) {
        node.style.transition = 'transform ' + (ROW_MOVE_MS + 250) + 'ms cubic-bezier(0.2, 0.8, 0.2, 1)';
        node.style.transform = '';
      });
    }
  }

  function createTeamRow(r) {
    var row = el('div', 'team-row');
    row.dataset.regionId = r.regionId;
    var rank = el('div', 'rank');
    rank.appendChild(el('span', 'crown'));
    rank.appendChild(el('span', 'rank-number'));
    row.appendChild(rank);
    var who = el('div', 'who');
    who.appendChild(el('div', 'name'));
    var target = el('div', 'team-target');
    target.appendChild(targetBar());
    target.appendChild(el('div', 'percent'));
    target.appendChild(el('div', 'percent-of', 'of target'));
    who.appendChild(target);
    row.appendChild(who);
    var race = el('div', 'race');
    var track = el('div', 'race-bar');
    track.appendChild(el('div', 'race-fill'));
    race.appendChild(track);
    race.appendChild(el('div', 'value'));
    row.appendChild(race);
    row.addEventListener('transitionend', function (event) {
      if (event.propertyName === 'transform' && event.target === row) row.classList.remove('rising');
    });
    return row;
  }

  function updateTeamRow(row, r, elapsed, share, live) {
    var rank = r.rank;
    row.querySelector('.rank-number').textContent = String(rank);
    row.classList.toggle('leader', rank === 1);
    row.classList.toggle('top1', rank === 1);
    row.classList.toggle('top2', rank === 2);
    row.classList.toggle('top3', rank === 3);
    row.classList.toggle('podium', rank >= 1 && rank <= 3);
    var name = row.querySelector('.name');
    if (name.textContent !== r.regionName) setName(name, r.regionName);
    row.querySelector('.value').textContent = formatFigure(r.actual, r.metric);
    flashIfChanged(row, r.actual, live);
    row.querySelector('.race-fill').style.transform = 'scaleX(' + Math.max(0, Math.min(1, share)).toFixed(4) + ')';

    var target = row.querySelector('.team-target');
    var percent = row.querySelector('.percent');
    var hasTarget = r.mustAchieve > 0;
    target.classList.toggle('absent', !hasTarget);
    if (!hasTarget) {
      percent.textContent = 'No target';
      return;
    }
    percent.textContent = formatPercent(r.mustAttainment);
    row.querySelector('.target-fill').style.transform = 'scaleX(' + Math.max(0, Math.min(1, r.mustAttainment)).toFixed(4) + ')';
    row.querySelector('.target-pace').style.left = (Math.max(0, Math.min(1, elapsed)) * 100) + '%';
    target.classList.toggle('behind', r.behindPace);
    target.classList.toggle('done', r.mustAttainment >= 1);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Rotation: each slide for its duration; paused while a celebration shows, then resumed where it was
  // ---------------------------------------------------------------------------------------------------------------

  var rotation = { index: 0, timer: null, deadline: 0, duration: 0, remaining: 0, paused: false };

  function slideDuration(index) {
    var slide = model.slides[index];
    return durationMs(slide ? slide.duration : null);
  }

  function startRotation() {
    var count = model.slides.length;
    var index = pinnedSlide !== null && count > 0 ? pinnedSlide % count : 0;
    if (pinnedSlide === null && isPassedOver(index)) index = nextShownSlide(index);
    showSlide(index);
  }

  /**
   * A target-progress slide whose region has no target (no rows) is passed over as if it were not in the channel,
   * until rows arrive. A pinned slide is shown whatever it holds; when every slide is empty the one shown stays, with
   * the empty message.
   */
  function isPassedOver(index) {
    var slide = model.slides[index];
    var figures = model.figures[index];
    return !!(slide && slide.targetProgress && figures && figures.received && figures.rows.length === 0);
  }

  /** The next slide after `from` in the rotation that is not passed over; `from` itself when there is none. */
  function nextShownSlide(from) {
    var count = model.slides.length;
    for (var step = 1; step <= count; step++) {
      var index = (from + step) % count;
      if (!isPassedOver(index)) return index;
    }
    return from;
  }

  function shownSlideCount() {
    var shown = 0;
    for (var i = 0; i < model.slides.length; i++) if (!isPassedOver(i)) shown++;
    return shown;
  }

  /** After a slide became empty or got rows again: the dots, the progress bar, and the slide shown if it must change. */
  function onPassedOverChanged() {
    var passed = [];
    for (var i = 0; i < model.slides.length; i++) if (isPassedOver(i)) passed.push(i);
    hook.passedOver = passed;
    $('progress').classList.toggle('static', !rotating || shownSlideCount() < 2);
    if (rotating && !rotation.paused && isPassedOver(rotation.index)) {
      var next = nextShownSlide(rotation.index);
      if (next !== rotation.index) {
        showSlide(next);
        return;
      }
    }
    // The rotation idles on one slide while it is the only one to show: it goes on once another one has rows.
    if (rotating && !rotation.paused && !rotation.timer && model.slides.length >= 2) {
      rotation.remaining = rotation.duration;
      scheduleAdvance();
    }
    renderSlideHead();
  }

  function showSlide(index) {
    clearTimeout(rotation.timer);
    rotation.timer = null;
    rotation.index = index;
    var slide = model.slides[index];
    hook.slide = index;
    hook.slideTitle = slide ? slide.title || '' : '';
    clearTimeout(boardRender.timer);
    boardRender.timer = null;

    var head = $('slide-title');
    head.classList.remove('fade');
    void head.offsetWidth; // restart the title's fade for each slide
    head.classList.add('fade');
    renderBoard(false);

    rotation.duration = slideDuration(index);
    rotation.remaining = rotation.duration;
    var progress = $('progress');
    progress.classList.toggle('static', !rotating || shownSlideCount() < 2);
    if (rotation.paused) return;
    scheduleAdvance();
  }

  function scheduleAdvance() {
    if (!rotating || model.slides.length < 2) return;
    rotation.deadline = performance.now() + rotation.remaining;
    rotation.timer = setTimeout(function () {
      rotation.timer = null;
      var next = nextShownSlide(rotation.index);
      if (next !== rotation.index) {
        showSlide(next);
        return;
      }
      // Nothing else to show for now (the others are passed over): this slide stays, without starting over.
      rotation.remaining = rotation.duration;
      scheduleAdvance();
    }, rotation.remaining);
  }

  function pauseRotation() {
    if (rotation.paused) return;
    rotation.paused = true;
    if (rotation.timer) {
      clearTimeout(rotation.timer);
      rotation.timer = null;
      rotation.remaining = Math.max(0, rotation.deadline - performance.now());
    }
  }

  function resumeRotation() {
    if (!rotation.paused) return;
    rotation.paused = false;
    scheduleAdvance();
  }

  /** The share of the slide's time gone, for the progress bar. */
  function slideProgress(now) {
    if (!rotating || model.slides.length < 2 || rotation.duration <= 0) return 0;
    var remaining = rotation.paused || !rotation.timer ? rotation.remaining : rotation.deadline - now;
    return Math.max(0, Math.min(1, 1 - remaining / rotation.duration));
  }

  function onChannel(message) {
    var first = model.screen === null;
    model.screen = message;
    if (message.alertLogId) {
      // Another alert log (the server restarted): its sequences start from 1 again, nothing of it was seen yet.
      if (model.alertLogId && model.alertLogId !== message.alertLogId) {
        alerts.seenUpTo = 0;
        celebration.remembered.clear();
        hook.lastSequence = 0; // a later reconnect replays this log from its start, not from a sequence of the old one
      }
      model.alertLogId = message.alertLogId;
    }
    // A screen that has seen no alert yet resumes from where its stream's alerts started.
    if (hook.lastSequence === null && message.alertsAfterSequence !== undefined) hook.lastSequence = num(message.alertsAfterSequence);
    var channel = message.channel || {};
    var slides = channel.slides || [];
    var key = JSON.stringify(slides);
    renderHeader();
    if (key !== model.slidesKey) {
      // A new or changed rotation: its boards start over from the snapshots that follow.
      model.slidesKey = key;
      model.slides = slides;
      model.boards = [];
      hook.boards = {};
      model.figures = [];
      hook.figures = {};
      hook.passedOver = [];
      startRotation();
    } else if (first) {
      startRotation();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Celebrations: a big won deal takes the screen for a while; several queue up
  // ---------------------------------------------------------------------------------------------------------------

  var celebration = {
    queue: [],
    current: null,
    timer: null,
    remembered: new Set(),  // sequences queued or shown, never celebrated twice
    inARow: 0,              // shown back to back
    resting: false          // a break for the boards in a long run of deals
  };

  function celebrationThreshold() {
    return model.screen ? num(model.screen.celebrateFromMinorUnits) : 0;
  }

  function maybeCelebrate(alert, sequence) {
    var deal = alert.bigDealWon;
    if (!deal) return;
    var amount = num(deal.amount && deal.amount.minorUnits);
    if (amount < celebrationThreshold()) return;
    if (celebration.remembered.has(sequence)) return;
    remember(sequence);
    enqueueCelebration({
      sequence: sequence,
      repId: deal.ownerRepId || '',
      repName: deal.ownerRepName || deal.ownerRepId || '',
      customerName: deal.customerName || deal.customerId || '',
      amountMinor: amount,
      currencyCode: (deal.amount && deal.amount.currencyCode) || currency(),
      regionName: alert.regionName || ''
    });
  }

  function remember(sequence) {
    celebration.remembered.add(sequence);
    if (celebration.remembered.size > CELEBRATED_MEMORY) {
      celebration.remembered.delete(celebration.remembered.values().next().value);
    }
  }

  function enqueueCelebration(item) {
    var queue = celebration.queue;
    if (queue.length >= MAX_QUEUED_CELEBRATIONS) {
      // Keep the biggest deals of a burst: drop the smallest queued one if the new one is bigger, else the new one.
      var smallest = 0;
      for (var i = 1; i < queue.length; i++) if (queue[i].amountMinor < queue[smallest].amountMinor) smallest = i;
      if (queue[smallest].amountMinor >= item.amountMinor) return;
      queue.splice(smallest, 1);
    }
    queue.push(item);
    hook.queuedCelebrations = queue.length;
    if (!celebration.current && !celebration.resting) nextCelebration();
    else renderCelebrationMore();
  }

  /** Shows the next queued deal, or gives the screen back to the rotation. */
  function nextCelebration() {
    clearTimeout(celebration.timer);
    celebration.timer = null;
    // After a long run of deals back to back the boards get a slide's worth of time before the rest.
    if (celebration.current && celebration.queue.length > 0 && celebration.inARow >= CELEBRATIONS_IN_A_ROW) {
      endCelebrations();
      celebration.resting = true;
      celebration.timer = setTimeout(function () {
        celebration.resting = false;
        nextCelebration();
      }, CELEBRATION_BREAK_MS);
      return;
    }
    var item = celebration.queue.shift();
    hook.queuedCelebrations = celebration.queue.length;
    if (!item) {
      endCelebrations();
      return;
    }
    var overlay = $('celebration');
    pauseRotation();
    celebration.inARow++;
    celebration.current = item;
    hook.celebrating = { repName: item.repName, amountMinor: item.amountMinor, customerName: item.customerName, sequence: item.sequence };
    hook.celebrated.push(item.sequence);
    if (hook.celebrated.length > CELEBRATED_MEMORY) hook.celebrated.shift();

    setName(overlay.querySelector('.celebration-name'), item.repName);
    overlay.querySelector('.celebration-amount').textContent = formatMoney(item.amountMinor, item.currencyCode, true);
    setName(overlay.querySelector('.celebration-customer'), item.customerName);
    overlay.querySelector('.celebration-with').classList.toggle('hidden', !item.customerName);
    setName($('celebration-region'), item.regionName);
    paintAvatar($('celebration-avatar'), item.repId, item.repName, model.photos[item.repId]);
    renderCelebrationMore();

    // Restart the entrance and timer animations for each deal, even when one follows another.
    var card = $('celebration-card');
    var timer = $('celebration-timer-fill');
    card.classList.remove('pop');
    timer.classList.remove('run');
    void card.offsetWidth;
    card.classList.add('pop');
    timer.style.animationDuration = CELEBRATION_MS + 'ms';
    timer.classList.add('run');
    overlay.classList.add('visible');
    overlay.setAttribute('aria-hidden', 'false');
    throwConfetti();
    chime();
    celebration.timer = setTimeout(nextCelebration, CELEBRATION_MS);
  }

  function endCelebrations() {
    var overlay = $('celebration');
    celebration.current = null;
    celebration.inARow = 0;
    hook.celebrating = null;
    overlay.classList.remove('visible');
    overlay.setAttribute('aria-hidden', 'true');
    $('confetti').textContent = '';
    resumeRotation();
  }

  function renderCelebrationMore() {
    var more = celebration.queue.length;
    $('celebration-more').textContent = more > 0 ? '+' + more + ' more deal' + (more > 1 ? 's' : '') : '';
  }

  var CONFETTI_COLOURS = ['#ffd23f', '#ff5d8f', '#35d0ff', '#3ddc84', '#ffffff', '#ff9f1c', '#b388ff'];

  function throwConfetti() {
    var box = $('confetti');
    box.textContent = '';
    for (var i = 0; i < 90; i++) {
      var piece = el('div', 'confetti-piece' + (i % 3 === 0 ? ' round' : ''));
      piece.style.left = (Math.random() * 100) + '%';
      piece.style.backgroundColor = CONFETTI_COLOURS[i % CONFETTI_COLOURS.length];
      piece.style.animationDelay = (Math.random() * 2.5) + 's';
      piece.style.animationDuration = (3 + Math.random() * 3) + 's';
      piece.style.setProperty('--drift', ((Math.random() - 0.5) * 30) + 'vw');
      piece.style.setProperty('--spin', (360 + Math.random() * 1080) + 'deg');
      box.appendChild(piece);
    }
  }

  var audio = null;

  /** A short rising chord through WebAudio, with ?sound=1 only. Autoplay rules may block it: never throws. */
  function chime() {
    if (!soundOn) return;
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      if (!audio) audio = new Context();
      if (audio.state === 'suspended' && audio.resume) audio.resume().catch(function () { /* blocked */ });
      var start = audio.currentTime + 0.05;
      [523.25, 659.25, 783.99, 1046.5].forEach(function (frequency, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var at = start + i * 0.12;
        osc.type = 'sine';
        osc.frequency.setValueAtTime(frequency, at);
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 1.2);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(at);
        osc.stop(at + 1.3);
      });
    } catch (e) { /* no sound is fine */ }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Alerts and the ticker
  // ---------------------------------------------------------------------------------------------------------------

  var alerts = {
    // The highest sequence handled in the alert log's current numbering. A replay after a reconnect skips what is at
    // or below it (already in the ticker, maybe celebrated); a restarted log (resume point 0) starts it over.
    seenUpTo: 0
  };

  var ALERT_KINDS = [
    ['bigDealWon', 'Won', 'won'],
    ['overtake', 'Overtake', 'overtake'],
    ['behindPace', 'Pace', 'warn'],
    ['behindLastYear', 'vs last year', 'warn'],
    ['activityPlanBehind', 'Activity', 'warn'],
    ['dealAtRisk', 'At risk', 'risk'],
    ['planUncovered', 'Plan', 'info']
  ];

  function onAlert(alert) {
    var sequence = num(alert.sequence);
    if (sequence > 0 && sequence <= alerts.seenUpTo) return;
    alerts.seenUpTo = Math.max(alerts.seenUpTo, sequence);
    hook.lastSequence = sequence;

    var kind = ALERT_KINDS.filter(function (k) { return alert[k[0]]; })[0] || [null, 'News', 'info'];
    var occurred = alert.occurredAt ? new Date(alert.occurredAt) : null;
    if (alert.message) {
      var item = {
        text: alert.message,
        tag: kind[1],
        tone: kind[2],
        time: occurred && !isNaN(occurred.getTime()) ? timeFormat.format(occurred) : ''
      };
      hook.tickerMessages.unshift(alert.message);
      if (hook.tickerMessages.length > TICKER_SIZE) hook.tickerMessages.length = TICKER_SIZE;
      ticker.add(item);
    }
    maybeCelebrate(alert, sequence);
  }

  /**
   * The ticker: a strip that scrolls right to left at a steady speed (moved each frame, so new items can join without
   * the strip jumping). A new alert is placed right after the last item on screen, so it is the next to come in;
   * when nothing new is waiting, the latest twenty alerts come round again, newest first.
   */
  var ticker = {
    latest: [],         // newest first, at most TICKER_SIZE
    cursor: 0,          // the next of `latest` to come round again
    offset: 0,          // the track's translateX in px
    lastFrame: 0,

    fresh: [],          // alerts not yet on the strip, newest first
    flushTimer: null,

    /** Takes an alert; the strip takes it in with the others of the same burst (one layout, not one per alert). */
    add: function (item) {
      this.latest.unshift(item);
      if (this.latest.length > TICKER_SIZE) this.latest.length = TICKER_SIZE;
      this.fresh.unshift(item);
      if (this.fresh.length > TICKER_SIZE) this.fresh.length = TICKER_SIZE;
      var self = this;
      if (!this.flushTimer) this.flushTimer = setTimeout(function () { self.flush(); }, 0);
    },

    flush: function () {
      this.flushTimer = null;
      var items = this.fresh;
      this.fresh = [];
      if (items.length === 0) return;
      this.cursor = items.length % Math.max(1, this.latest.length);
      var track = $('ticker-track');
      var viewportWidth = $('ticker-viewport').clientWidth;
      // An empty strip shows the news at once instead of scrolling it in from the right edge.
      if (!track.firstElementChild) this.offset = viewportWidth * 0.015;
      // The new items go right after the last one on screen, newest first, so they are the next to come in.
      var before = null;
      for (var i = 0; i < track.children.length; i++) {
        if (this.offset + track.children[i].offsetLeft > viewportWidth) { before = track.children[i]; break; }
      }
      for (var j = 0; j < items.length; j++) track.insertBefore(this.node(items[j]), before);
      // Items waiting off screen to the right: the oldest of them give way when a burst comes in.
      while (track.children.length > TICKER_SIZE) track.lastElementChild.remove();
      $('ticker-empty').classList.add('hidden');
    },

    node: function (item) {
      var node = el('span', 'ticker-item tone-' + item.tone);
      node.appendChild(el('span', 'ticker-tag', item.tag));
      if (item.time) node.appendChild(el('span', 'ticker-time', item.time));
      var text = el('span', 'ticker-text');
      setName(text, item.text);
      node.appendChild(text);
      node.ticker = item;
      return node;
    },

    frame: function (now) {
      var elapsed = this.lastFrame ? Math.min(now - this.lastFrame, 100) : 0;
      this.lastFrame = now;
      var track = $('ticker-track');
      if (this.latest.length === 0) return;
      var viewportWidth = $('ticker-viewport').clientWidth;
      this.offset -= (TICKER_SPEED_VW_PER_S * window.innerWidth / 100) * (elapsed / 1000);

      // Drop what scrolled out on the left, keeping the rest where it is.
      var first = track.firstElementChild;
      while (first && this.offset + first.offsetLeft + first.offsetWidth < 0) {
        var next = first.nextElementSibling;
        var shift = next ? next.offsetLeft - first.offsetLeft : first.offsetWidth;
        first.remove();
        this.offset += shift;
        first = track.firstElementChild;
      }
      if (!first) this.offset = viewportWidth;

      // Keep the strip filled to the right edge with items that come round again (not one already on the strip).
      var last = track.lastElementChild;
      var end = last ? this.offset + last.offsetLeft + last.offsetWidth : this.offset;
      if (end < viewportWidth * 1.05) {
        var onStrip = new Set();
        Array.prototype.forEach.call(track.children, function (n) { onStrip.add(n.ticker); });
        for (var tries = 0; tries < this.latest.length; tries++) {
          var candidate = this.latest[this.cursor % this.latest.length];
          this.cursor = (this.cursor + 1) % this.latest.length;
          if (!onStrip.has(candidate)) {
            if (!track.firstElementChild) this.offset = viewportWidth;
            track.appendChild(this.node(candidate));
            break;
          }
        }
      }
      track.style.transform = 'translate3d(' + this.offset.toFixed(1) + 'px, 0, 0)';
    }
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Connection: one stream, reconnected with backoff, resuming alerts after the last sequence seen
  // ---------------------------------------------------------------------------------------------------------------

  var connection = {
    abort: null,        // abort(reason) ends the open stream (silence, going offline)
    retryAt: 0,         // when the next attempt starts, for the countdown
    wake: null          // ends the wait before the next attempt early (back online)
  };

  function streamUrl() {
    var url = '/v1/channels/' + encodeURIComponent(channelName) + ':watch';
    if (hook.lastSequence === null) return url;
    url += '?after_sequence=' + hook.lastSequence;
    return model.alertLogId ? url + '&alert_log_id=' + encodeURIComponent(model.alertLogId) : url;
  }

  /** The google.rpc.Status of an error body or line: its text, resume point and retry delay. */
  function statusOf(body, fallback) {
    var result = { code: 0, message: fallback, resume: null, retryMs: 0, reason: '' };
    if (!body || typeof body !== 'object') return result;
    result.code = num(body.code);
    result.message = body.message || fallback;
    (body.details || []).forEach(function (detail) {
      var type = detail['@type'] || '';
      if (/google\.rpc\.ErrorInfo$/.test(type)) {
        result.reason = detail.reason || '';
        var metadata = detail.metadata || {};
        if (metadata.resume_after_sequence !== undefined && metadata.resume_after_sequence !== '') {
          result.resume = num(metadata.resume_after_sequence);
        }
      } else if (/google\.rpc\.RetryInfo$/.test(type) && detail.retryDelay) {
        result.retryMs = durationMs(detail.retryDelay);
      }
    });
    return result;
  }

  /** The stream ended with a resume point: reconnect there. 0 means the alert log numbers from 1 again. */
  function applyResume(resume) {
    if (resume === null) return;
    hook.lastSequence = resume;
    if (resume === 0) {
      alerts.seenUpTo = 0;
      celebration.remembered.clear();
    }
  }

  function handleLine(line) {
    var message;
    try { message = JSON.parse(line); }
    catch (e) { return null; /* a torn or foreign line: skip it */ }
    if (message.channel) onChannel(message.channel);
    else if (message.board) onBoard(message.board);
    else if (message.figures) onFigures(message.figures);
    else if (message.alert) onAlert(message.alert);
    else if (message.heartbeat) { /* only proves the connection lives */ }
    else if (message.code !== undefined) return statusOf(message, 'the stream ended');
    return null;
  }

  /**
   * One stream, start to end. Resolves (never rejects) with how it ended: {refused, status, message} when the server
   * turned the screen away, else {retryMs, liveMs}.
   */
  function runStream() {
    var controller = new AbortController();
    var abortedFor = null;
    connection.abort = function (reason) {
      abortedFor = reason;
      controller.abort();
    };
    var headers = { accept: 'application/json' };
    if (apiKey) headers['x-api-key'] = apiKey;
    var opened = 0;
    var silence = null;

    function armSilence() {
      clearTimeout(silence);
      silence = setTimeout(function () {
        connection.abort('no data for ' + (SILENCE_LIMIT_MS / 1000) + ' s');
      }, SILENCE_LIMIT_MS);
    }

    function ended(extra) {
      clearTimeout(silence);
      connection.abort = null;
      try { controller.abort(); } catch (e) { /* already */ }
      var result = { retryMs: 0, liveMs: opened ? Date.now() - opened : 0 };
      for (var k in extra) result[k] = extra[k];
      return result;
    }

    armSilence();
    return fetch(streamUrl(), { headers: headers, cache: 'no-store', signal: controller.signal })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) {
            var body = null;
            try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
            var status = statusOf(body, 'HTTP ' + response.status);
            hook.error = status.message;
            if (response.status === 401 || response.status === 403 || response.status === 404) {
              return ended({ refused: true, status: response.status, message: status.message });
            }
            return ended({ retryMs: status.retryMs });
          });
        }

        opened = Date.now();
        hook.connects++;
        setState('live');
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';

        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              var tail = buffer.trim();
              var status = tail ? handleLine(tail) : null;
              if (status) return endWith(status);
              hook.error = 'the stream ended';
              return ended({});
            }
            armSilence();
            buffer += decoder.decode(chunk.value, { stream: true });
            var newline;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              var line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              if (!line) continue;
              var error = handleLine(line);
              if (error) return endWith(error);
            }
            return yieldIfBusy().then(pump);
          });
        }

        function endWith(status) {
          hook.error = status.message;
          applyResume(status.resume);
          return ended({ retryMs: status.retryMs });
        }

        return pump();
      })
      .catch(function (error) {
        hook.error = abortedFor || String(error && error.message || error);
        return ended({});
      });
  }

  var lastYield = 0;

  /**
   * A replay of thousands of alerts arrives faster than it is handled: reads of buffered data resolve as microtasks,
   * which would starve timers, the rotation and painting. Give the event loop a turn every 50 ms of work.
   */
  function yieldIfBusy() {
    var now = performance.now();
    if (now - lastYield < 50) return Promise.resolve();
    return new Promise(function (resolve) {
      setTimeout(function () {
        lastYield = performance.now();
        resolve();
      }, 0);
    });
  }

  function sleep(ms) {
    connection.retryAt = Date.now() + ms;
    renderRetryCountdown();
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        connection.wake = null;
        connection.retryAt = 0;
        resolve();
      }
      connection.wake = done;
    });
  }

  /** A delay spread by up to a third, so the screens of an office that lost the server do not come back in step. */
  function jittered(ms) {
    return Math.round(ms * (1 + Math.random() / 3));
  }

  function connectForever() {
    var failures = 0;
    var refusals = 0;
    function attempt() {
      return runStream().then(function (result) {
        if (result.refused) {
          setState('refused');
          showRefused(result.status, result.message);
          // A key that stays refused is tried ever more rarely (up to 5 min): the office's other screens share its
          // address, and the server throttles an address that keeps failing to authenticate.
          refusals++;
          return sleep(jittered(Math.min(REFUSED_RETRY_MS * refusals, 300000))).then(attempt);
        }
        refusals = 0;
        if (result.liveMs >= STABLE_STREAM_MS) failures = 0;
        var delay = jittered(Math.max(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)], result.retryMs || 0));
        failures++;
        setState('reconnecting');
        return sleep(delay).then(attempt);
      });
    }
    attempt();
  }

  window.addEventListener('offline', function () {
    if (connection.abort) connection.abort('offline');
  });
  window.addEventListener('online', function () {
    if (connection.wake) connection.wake();
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------------------------

  function frame(now) {
    $('progress-fill').style.transform = 'scaleX(' + slideProgress(now).toFixed(4) + ')';
    ticker.frame(now);
    requestAnimationFrame(frame);
  }

  // Labels under target bars are placed by measuring them: again when the screen's size changes.
  window.addEventListener('resize', function () {
    Array.prototype.forEach.call(document.querySelectorAll('#figures .figure-row'), placeBarLabels);
  });

  document.body.classList.toggle('pinned', !rotating);
  tickClock();
  setInterval(tickClock, 1000);
  renderHeader();
  renderBoard(false);
  requestAnimationFrame(frame);
  connectForever();
})();
