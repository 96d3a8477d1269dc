// The bridge through which the C# tests (BrowserSession) drive the machine's headless Chromium.
//
// Protocol: JSON lines. One request per line on stdin, {"id":n,"op":"...",...}; one answer per line on stdout,
// {"id":n,"ok":true,"value":...} or {"id":n,"ok":false,"error":"..."}. Requests run concurrently, so answers may
// come in any order. stdout carries nothing else: logs go to stderr. The browser is started with the bridge and
// closed by the `close` op, by the end of stdin (the test process went away) or by SIGTERM/SIGINT.
//
// Ops: version; open {width,height,deviceScaleFactor} -> page id; goto {page,url,timeoutMs}; eval {page,expression};
// waitFor {page,expression,timeoutMs} (an error answer then also has "timedOut":true); screenshot {page,path};
// viewport {page,width,height,deviceScaleFactor}; fonts {page,selector}; console {page} (drains);
// setOffline {page,offline}; closePage {page}; close.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const executablePath = process.env.SALESOPS_CHROMIUM || '/usr/bin/chromium';
const defaultTimeoutMs = 30_000;
const pollMs = 50;

// Nothing but protocol lines may reach stdout, whatever a library logs.
console.log = console.info = console.debug = console.error;
const log = message => process.stderr.write(`bridge: ${message}\n`);

const userDataDir = await mkdtemp(join(tmpdir(), 'salesops-chromium-'));
const launched = puppeteer.launch({
  executablePath,
  // None of puppeteer's defaults: the flags of shared/PLATFORM-NOTES.md ("Browser tests"), then three that keep
  // timers and rendering running in pages open at once but not in front, and two for quiet, stable screenshots.
  ignoreDefaultArgs: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
    '--disable-renderer-backgrounding', '--hide-scrollbars', '--mute-audio',
    `--user-data-dir=${userDataDir}`, 'about:blank',
  ],
  pipe: true,
  defaultViewport: null,
  // The bridge closes the browser itself, and removes the profile after it.
  handleSIGINT: false,
  handleSIGTERM: false,
  handleSIGHUP: false,
});
launched.then(
  browser => {
    const stderr = browser.process()?.stderr;
    if (stderr) createInterface({ input: stderr }).on('line', line => process.stderr.write(`chromium: ${line}\n`));
  },
  error => log(`could not start ${executablePath}: ${error.message}`));

const pages = new Map();
let nextPageId = 1;

function pageOf(request) {
  const entry = pages.get(request.page);
  if (!entry) throw new Error(`no open page ${request.page}`);
  return entry;
}

function viewportOf(request) {
  return {
    width: request.width ?? 1280,
    height: request.height ?? 720,
    deviceScaleFactor: request.deviceScaleFactor ?? 1,
  };
}

function describe(value) {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
}

function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not finish within ${ms} ms`), { expired: true })), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const delay = ms => new Promise(resolve => setTimeout(resolve, ms));

// A string given to page.evaluate is evaluated as an expression, its promise awaited, its value returned as JSON.
const evaluate = (page, expression) => page.evaluate(expression);

async function waitFor({ page }, expression, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'not evaluated yet';
  for (let first = true; ; first = false) {
    const remaining = deadline - Date.now();
    try {
      // The first evaluation runs to its end (within the default bound) even past a short deadline on a busy
      // machine, so a timeout always reports a value the page really had.
      const value = await withTimeout(evaluate(page, expression), first ? Math.max(remaining, defaultTimeoutMs) : Math.max(remaining, 1), 'the expression');
      if (value) return value;
      last = `last value ${describe(value)}`;
    } catch (error) {
      // A navigation destroys the context under a running evaluation: try again in the next one. An evaluation cut
      // short by the deadline (on a busy machine) says nothing about the page: the value it really had stays the last.
      if (!error.expired || last === 'not evaluated yet') last = `last error ${error.message}`;
    }
    if (Date.now() + pollMs > deadline) {
      throw Object.assign(new Error(`waitFor timed out after ${timeoutMs} ms: ${expression}; ${last}`), { timedOut: true });
    }
    await delay(pollMs);
  }
}

const ops = {
  async version() {
    return (await launched).version();
  },

  async open(request) {
    const browser = await launched;
    // Each page has a context of its own: no cookies, storage or cache shared between pages.
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const entry = { context, page, messages: [] };
    page.on('console', message => {
      const { url, lineNumber } = message.location();
      entry.messages.push({ type: message.type(), text: message.text(), url, line: lineNumber });
    });
    page.on('pageerror', error => entry.messages.push({ type: 'pageerror', text: String(error?.stack ?? error) }));
    page.on('requestfailed', req =>
      entry.messages.push({ type: 'requestfailed', text: `${req.failure()?.errorText} ${req.method()} ${req.url()}` }));
    await page.setViewport(viewportOf(request));
    const id = nextPageId++;
    pages.set(id, entry);
    return id;
  },

  async goto(request) {
    const response = await pageOf(request).page.goto(request.url, {
      waitUntil: 'load',
      timeout: request.timeoutMs ?? defaultTimeoutMs,
    });
    return { status: response?.status() ?? null, url: response?.url() ?? request.url };
  },

  async eval(request) {
    return evaluate(pageOf(request).page, request.expression);
  },

  async waitFor(request) {
    return waitFor(pageOf(request), request.expression, request.timeoutMs ?? defaultTimeoutMs);
  },

  async screenshot(request) {
    await mkdir(dirname(request.path), { recursive: true });
    await pageOf(request).page.screenshot({ path: request.path, type: 'png' });
    return request.path;
  },

  async viewport(request) {
    await pageOf(request).page.setViewport(viewportOf(request));
    return null;
  },

  // The platform fonts that rendered the text under the first element matching the selector, with their glyph
  // counts: whether Chinese names were drawn with a real CJK font, not a fallback's missing-glyph boxes.
  async fonts(request) {
    const cdp = await pageOf(request).page.createCDPSession();
    try {
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: request.selector });
      if (!nodeId) throw new Error(`no element matches ${request.selector}`);
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      return fonts;
    } finally {
      await cdp.detach().catch(() => {});
    }
  },

  async console(request) {
    return pageOf(request).messages.splice(0);
  },

  async setOffline(request) {
    await pageOf(request).page.setOfflineMode(Boolean(request.offline));
    return null;
  },

  async closePage(request) {
    const entry = pageOf(request);
    pages.delete(request.page);
    await entry.context.close();
    return null;
  },

  async close() {
    await shutdown();
    return null;
  },
};

let closing;
let closeRequested = false;
function shutdown() {
  closing ??= (async () => {
    try {
      const browser = await launched;
      await withTimeout(browser.close(), 10_000, 'closing the browser').catch(error => {
        log(`${error.message}; killing it`);
        browser.process()?.kill('SIGKILL');
      });
    } catch {
      // It never started: nothing to close.
    }
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  })();
  return closing;
}

function answer(message) {
  return new Promise(resolve => process.stdout.write(`${JSON.stringify(message)}\n`, resolve));
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    log(`not a JSON request: ${line.slice(0, 200)}`);
    return;
  }
  const { id, op } = request;
  closeRequested ||= op === 'close';
  try {
    if (!Object.hasOwn(ops, op)) throw new Error(`unknown op ${JSON.stringify(op)}`);
    if (closing && op !== 'close') throw new Error('the browser is closing');
    const value = await ops[op](request);
    await answer({ id, ok: true, value: value ?? null });
  } catch (error) {
    await answer({ id, ok: false, error: error?.message ?? String(error), ...(error?.timedOut && { timedOut: true }) });
  }
  if (op === 'close') process.exit(0);
}

const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', line => {
  if (line.trim()) handle(line);
});
// The test process went away (or sent close and then ended stdin, in which case the close op exits).
input.on('close', () => closeRequested || shutdown().finally(() => process.exit(0)));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => shutdown().finally(() => process.exit(0)));
}
