/**
 * `faultline serve` exposes the reports and nothing else: every point checked with real HTTP
 * requests to a server on 127.0.0.1 (port 0).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHistory } from '../../src/history/read.js';
import { renderReport } from '../../src/report/page.js';
import { ServeError, serveReports } from '../../src/report/serve.js';

const root = mkdtempSync(join(tmpdir(), 'faultline-serve-'));
const outside = mkdtempSync(join(tmpdir(), 'faultline-outside-'));
const put = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
};
const HISTORY = '{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}\n';
const SCRIPT = 'document.title = "x";';
const PAGE = `<!doctype html><html><head><style>b{color:red}</style></head><body><script>${SCRIPT}</script></body></html>`;

let server: Server;
let port: number;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path is sent as written, and the Host header as given. */
function get(path: string, { host = `localhost:${port}`, method = 'GET' } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, setHost: false, headers: host === '' ? {} : { Host: host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`request for ${path} timed out`)));
    req.end();
  });
}

beforeAll(async () => {
  put('run1/history.jsonl', HISTORY);
  put('run1/run.json', '{"target":"etcd","workload":"register","startedAt":"2024-01-01T00:00:00Z"}');
  put('run1/results.json', '{"valid":false}');
  put('run1/index.html', PAGE);
  put('run1/nodes/n1.log', 'node log\n');
  put('run1/picture.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  put('run1/blob.bin', 'binary?');
  writeFileSync(join(outside, 'secret'), 'outside secret\n');
  symlinkSync(join(outside, 'secret'), join(root, 'run1/nodes/secret.log'));
  symlinkSync('/nonexistent/file', join(root, 'run1/nodes/dangling.log'));
  execFileSync('mkfifo', [join(root, 'run1/fifo.log')]);
  put('javascript:alert(1)/history.jsonl', HISTORY);
  put('javascript:alert(1)/index.html', PAGE);
  put('damaged/history.jsonl', HISTORY);
  put('damaged/results.json', '{"valid": tru');
  put('no-history/run.json', '{"status":"running"}');
  put('.git/config', '[core]\n');
  put('run1/.hidden', 'hidden\n');
  symlinkSync(outside, join(root, 'link-out'));
  symlinkSync('/nonexistent/run', join(root, 'broken-run'));
  put('not-a-run/notes.txt', 'notes\n');
  const started = await serveReports(root, 0);
  server = started.server;
  port = Number(new URL(started.url).port);
});

afterAll(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('faultline serve', () => {
  it('lists the runs at / from memory, writing nothing into the folder', async () => {
    const before = readdirSync(root).sort();
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<a href="./run1/index.html">run1</a>');
    expect(r.body).toContain('<td>etcd</td><td>register</td>');
    expect(existsSync(join(root, 'index.html'))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(before);
    expect((await get('/index.html')).body).toBe(r.body);
  });

  it('links a run named javascript:… relatively, from encoded segments', async () => {
    const r = await get('/');
    expect(r.body).toContain('href="./javascript%3Aalert(1)/index.html"');
    expect(r.body).not.toMatch(/href="javascript:/i);
    const page = await get('/javascript%3Aalert(1)/index.html');
    expect(page.status).toBe(200);
  });

  it('lists damaged runs as damaged, and skips folders that are no runs and dotfolders', async () => {
    const r = await get('/');
    const row = (name: string) =>
      r.body.split('\n').find((l) => l.startsWith(`<tr><td>${name}<`) || l.includes(`">${name}</a>`));
    expect(row('damaged')).toContain('damaged</span>');
    expect(row('damaged')).toContain('results.json is not valid JSON');
    expect(row('no-history')).toContain('no history.jsonl');
    expect(row('broken-run')).toContain('broken or leads out of the folder');
    expect(row('link-out')).toContain('damaged');
    expect(r.body).not.toContain('not-a-run');
    expect(r.body).not.toContain('.git');
  });

  it.each([
    ['evil.example'],
    ['evil.example:8080'],
    ['localhost.evil.example'],
    ['127.0.0.1.nip.io'],
    ['10.0.0.1'],
    [''],
  ])('refuses Host %j (DNS rebinding)', async (host) => {
    const r = await get('/', { host });
    // Node's own parser answers 400 to a request without any Host header.
    expect(r.status).toBe(host === '' ? 400 : 403);
    expect(r.body).not.toContain('run1');
  });

  it.each([['localhost'], ['LOCALHOST:1'], ['127.0.0.1'], ['127.0.0.1:9'], ['[::1]'], ['[::1]:8080']])(
    'answers Host %j',
    async (host) => {
      expect((await get('/', { host })).status).toBe(200);
    },
  );

  it.each([
    ['/run1/history.jsonl', 'text/plain; charset=utf-8', HISTORY],
    ['/run1/results.json', 'application/json; charset=utf-8', '{"valid":false}'],
    ['/run1/nodes/n1.log', 'text/plain; charset=utf-8', 'node log\n'],
    ['/run1/blob.bin', 'application/octet-stream', 'binary?'],
  ])('serves %s as %s with nosniff', async (path, type, body) => {
    const r = await get(path);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain('sandbox');
    expect(r.body).toBe(body);
  });

  it('gives report pages a strict policy: inline scripts by hash only, nothing from elsewhere', async () => {
    const r = await get('/run1/index.html');
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    const hash = createHash('sha256').update(SCRIPT).digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const index = await get('/');
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'none'");
  });

  it('sandboxes an SVG so its script cannot run', async () => {
    const r = await get('/run1/picture.svg');
    expect(r.headers['content-type']).toBe('image/svg+xml');
    expect(String(r.headers['content-security-policy'])).toMatch(/default-src 'none'.*sandbox/);
  });

  it.each([
    ['a link out of the folder', '/run1/nodes/secret.log'],
    ['a folder link out of the folder', '/link-out/secret'],
    ['a dangling link', '/run1/nodes/dangling.log'],
    ['a FIFO', '/run1/fifo.log'],
    ['a dotfolder', '/.git/config'],
    ['a dotfile', '/run1/.hidden'],
    ['an encoded dotfile', '/run1/%2ehidden'],
    ['a missing file', '/run1/nope.txt'],
    ['a folder without a page', '/not-a-run/'],
  ])('does not serve %s', async (_what, path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('secret');
  });

  it.each([
    ['/../../../etc/passwd'],
    ['/run1/../../etc/passwd'],
    ['/%2e%2e/%2e%2e/etc/passwd'],
    ['/run1%2f..%2f..%2fetc%2fpasswd'],
    ['/run1/%00'],
    ['/%E0%A4%A'],
  ])('refuses the path %s', async (path) => {
    const r = await get(path);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain('root:');
  });

  it('redirects a run folder to its page, relatively', async () => {
    const r = await get('/run1');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('./run1/');
    const evil = await get('//evil.example');
    expect(evil.status).toBe(404);
    const page = await get('/run1/');
    expect(page.status).toBe(200);
    expect(page.body).toBe(PAGE);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('/run1/history.jsonl', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(HISTORY.length));
    expect(head.body).toBe('');
    const post = await get('/run1/history.jsonl', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('says a port in use in one line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      await expect(serveReports(root, taken)).rejects.toThrow(ServeError);
      await expect(serveReports(root, taken)).rejects.toThrow(`port ${taken} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a folder that does not exist', async () => {
    await expect(serveReports(join(root, 'nope'), 0)).rejects.toThrow('no such folder');
  });
});

const CHROMIUM = '/usr/bin/chromium';
const missing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is not installed (bash scripts/setup-browser.sh)`;
if (missing) process.stderr.write(`serve browser test skipped: ${missing}\n`);

describe.skipIf(missing !== undefined)('faultline serve in Chromium', () => {
  type Browser = import('playwright-core').Browser;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a real report page runs its timeline under the policy, with no violation reported', async () => {
    const lines = [];
    for (let i = 0; i < 20; i++) {
      lines.push(
        `{"index":${2 * i},"time":${2 * i},"process":${i % 3},"type":"invoke","f":"write","key":"x","value":${i}}`,
      );
      lines.push(
        `{"index":${2 * i + 1},"time":${2 * i + 1},"process":${i % 3},"type":"ok","f":"write","key":"x","value":${i}}`,
      );
    }
    const history = parseHistory(lines.join('\n'), 'h.jsonl');
    put('run2/history.jsonl', `${lines.join('\n')}\n`);
    put('run2/index.html', renderReport({ title: 'served', valid: true, history, results: {} }));
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/run2/index.html`);
    await page.waitForFunction(
      () => (window as never as { faultlineTimeline?: { ready: boolean } }).faultlineTimeline?.ready,
      undefined,
      { timeout: 20_000 },
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('blocks script the page did not carry: event-handler attributes and javascript: links', async () => {
    put(
      'run3/index.html',
      '<!doctype html><html><body><img src="x" onerror="document.title=\'pwned\'"><a id="l" href="javascript:document.title=\'pwned\'">l</a></body></html>',
    );
    const page = await browser!.newPage();
    await page.goto(`http://127.0.0.1:${port}/run3/index.html`);
    await page.click('#l').catch(() => undefined);
    await page.waitForTimeout(300);
    expect(await page.title()).not.toBe('pwned');
    await page.close();
  });

  it('the runs list links a run named javascript:… to its folder on this server', async () => {
    const page = await browser!.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const href = await page
      .locator('a', { hasText: 'javascript:alert(1)' })
      .evaluate((a) => (a as HTMLAnchorElement).href);
    expect(href).toBe(`http://127.0.0.1:${port}/javascript%3Aalert(1)/index.html`);
    await page.close();
  });
});
