/**
 * The core in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, on a page served from this repository over HTTP. The
 * page imports a compiled module of dist/ (the core entry, `dist/src/index.js`,
 * and what it reaches) exactly as a browser application would: ES modules
 * by URL, no bundler, no Node.js. The server sends the cross-origin
 * isolation headers, so the page has SharedArrayBuffer and the runtime's
 * shared memory (wasm atomics) can be tested too.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { repoRoot } from '../paths.js';

/** Where Chromium may be: $CHROMIUM first, then the Debian package's and other common names. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium binary, or undefined with the reason (scripts/ensure-system-deps.sh installs it as root on Debian). */
export function chromiumStatus(): { path: string } | { path: undefined; reason: string } {
  const given = process.env.CHROMIUM;
  if (given) return existsSync(given) ? { path: given } : { path: undefined, reason: `$CHROMIUM is ${given}, which does not exist` };
  const path = CANDIDATES.find((p) => existsSync(p));
  return path ? { path } : { path: undefined, reason: `no Chromium at ${CANDIDATES.join(', ')} (install Debian's chromium, or set $CHROMIUM)` };
}

/**
 * The `skip` option of a browser test: why Chromium is missing, or false.
 * In CI (CI=true) a missing Chromium is a failure, as a missing kernel is
 * (test/kernel/env.ts): ensure-system-deps.sh installs it there.
 */
export function browserTestSkip(): string | false {
  const status = chromiumStatus();
  if (status.path !== undefined) return false;
  if (process.env.CI === 'true') throw new Error(`browser tests must run in CI, but: ${status.reason}`);
  return status.reason;
}

/** The only trees the server gives out: the compiled code and the test objects. */
const SERVED = ['dist', 'testdata'];
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.map': 'application/json', '.html': 'text/html' };
/** Cross-origin isolation: the page gets SharedArrayBuffer (crossOriginIsolated). */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * `/?module=PATH` is an empty page whose module script imports PATH and sets it as globalThis.pageModule;
 * globalThis.pageReady is then true, or the import's error.
 */
function pageHtml(module: string): string {
  const url = JSON.stringify(module);
  return `<!doctype html><meta charset="utf-8"><title>ebpf</title><link rel="icon" href="data:,"><script type="module">
try {
  globalThis.pageModule = await import(${url});
  globalThis.pageReady = true;
} catch (e) {
  globalThis.pageReady = String(e && e.stack || e);
}
</script>`;
}

async function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/') {
        const module = url.searchParams.get('module') ?? '';
        res.writeHead(200, { ...ISOLATION, 'content-type': 'text/html' });
        res.end(pageHtml(module));
        return;
      }
      const path = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
      if (!SERVED.some((d) => path === d || path.startsWith(d + sep))) {
        res.writeHead(404, ISOLATION);
        res.end();
        return;
      }
      try {
        const body = await readFile(join(repoRoot, path));
        res.writeHead(200, { ...ISOLATION, 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404, ISOLATION);
        res.end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/** One browser page running one of our compiled modules; close it when done. */
export class BrowserPage {
  private constructor(
    readonly browser: Browser, readonly page: Page, private readonly server: Server, private readonly cdp: CDPSession,
    /** Errors the page threw outside a call (a failed import, an unhandled rejection), and the URLs the server refused. */
    readonly errors: string[],
  ) {}

  /**
   * Chromium at `path` (chromiumStatus), a page that imports `module`
   * (a path under dist/, as the browser sees it: `/dist/test/browser/page.js`).
   */
  static async open(path: string, module: string): Promise<BrowserPage> {
    const server = await serve();
    let browser: Browser | undefined;
    try {
      // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start; /dev/shm is small in containers.
      browser = await chromium.launch({ executablePath: path, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: 60_000 });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // A module the page cannot fetch (a node: import, a path outside dist/) is only "failed to fetch" in the import's error.
      page.on('response', (r) => {
        if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
      });
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/?module=${encodeURIComponent(module)}`);
      await page.waitForFunction(() => (globalThis as { pageReady?: unknown }).pageReady !== undefined, undefined, { timeout: 30_000 });
      const ready = await page.evaluate(() => (globalThis as { pageReady?: unknown }).pageReady);
      if (ready !== true) throw new Error(`the page could not import ${module}: ${String(ready)}${errors.length ? ` (${errors.join('; ')})` : ''}`);
      return new BrowserPage(browser, page, server, await browser.newBrowserCDPSession(), errors);
    } catch (err) {
      await browser?.close();
      server.close();
      throw err;
    }
  }

  /** Call the page module's export `name` with `args` (structured-clone values: strings, numbers, arrays, plain objects). */
  call<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(([fn, list]) => {
      const m = (globalThis as unknown as { pageModule: Record<string, (...a: unknown[]) => unknown> }).pageModule;
      if (typeof m[fn] !== 'function') throw new Error(`the page module has no function ${fn}`);
      return m[fn](...list);
    }, [name, args] as [string, unknown[]]) as Promise<T>;
  }

  /** CPU seconds the renderer processes have used, every thread (V8's compiler and GC threads too). */
  async rendererCpuSeconds(): Promise<number> {
    const { processInfo } = await this.cdp.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; cpuTime: number }[] };
    return processInfo.filter((p) => p.type === 'renderer').reduce((n, p) => n + p.cpuTime, 0);
  }

  /** The browser's version, as Chromium names it. */
  version(): string {
    return this.browser.version();
  }

  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      this.server.close();
    }
  }
}
