/**
 * `faultline serve`: the reports folder over HTTP on loopback, and nothing else.
 *
 * - Only regular files inside the folder, after resolving links (a link out of it is not
 *   served, nor one to a device or a FIFO); no dotfiles or dot-folders, at any depth.
 * - Requests must name a loopback host (`localhost`, `127.0.0.1`, `[::1]`, any port): other
 *   Host headers are refused, so a web page cannot reach the server by DNS rebinding.
 * - Every response says its Content-Type, with `X-Content-Type-Options: nosniff`; HTML pages
 *   get a strict Content-Security-Policy (their inline scripts allowed by hash only), all other
 *   files a sandboxing one.
 * - The list of runs at `/` is made in memory on each request: serving never writes into the
 *   folder. A damaged run (unreadable or invalid run.json/results.json, no history, a broken
 *   link) is listed as damaged, never fatal.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { esc, verdictBadge } from './html.js';
import { relativeHref } from './links.js';

/** Host headers the server answers: loopback names only, with an optional port. */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

const TEXT = 'text/plain; charset=utf-8';
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  // Shown in the browser rather than downloaded; nosniff keeps it text.
  '.jsonl': TEXT,
  '.ndjson': TEXT,
  '.log': TEXT,
  '.txt': TEXT,
  '.edn': TEXT,
  '.csv': TEXT,
  '.tsv': TEXT,
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
};
const BINARY = 'application/octet-stream';

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

/** Files that are not HTML may not run anything, whatever they contain (an SVG, say). */
const SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/** HTML pages larger than this are sent without their inline scripts allowed. */
const MAX_HASHED_HTML = 64 * 2 ** 20;
/** run.json and results.json larger than this are not read for the runs list. */
const MAX_SUMMARY_JSON = 64 * 2 ** 20;

/**
 * The policy for a report page: self-contained, so nothing from elsewhere; inline styles;
 * inline scripts only those in the page as served (by hash: no event-handler attributes or
 * javascript: URLs), none when it has none.
 */
export function htmlPolicy(html: string): string {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`);
  }
  return [
    "default-src 'none'",
    `script-src ${hashes.length > 0 ? [...new Set(hashes)].join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const isInside = (root: string, path: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** No part of the path below the root may be hidden (a dotfile or dot-folder). */
const hasHiddenPart = (root: string, path: string) =>
  relative(root, path)
    .split(sep)
    .some((part) => part.startsWith('.'));

type Found = { kind: 'file'; path: string } | { kind: 'dir'; path: string } | { kind: 'none' };

/** Resolves a path under the root through any links; 'none' unless it stays inside and visible. */
async function resolveInside(root: string, path: string): Promise<Found> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return { kind: 'none' };
  }
  if (!isInside(root, real) || hasHiddenPart(root, real)) return { kind: 'none' };
  const stats = await stat(real).catch(() => undefined);
  if (stats?.isFile()) return { kind: 'file', path: real };
  if (stats?.isDirectory()) return { kind: 'dir', path: real };
  return { kind: 'none' };
}

/** Opens a regular file without following a link swapped in after the check, and re-checks it. */
async function openRegular(path: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const stats = await handle.stat().catch(() => undefined);
  if (!stats?.isFile()) {
    await handle.close().catch(() => undefined);
    return undefined;
  }
  return { handle, size: stats.size };
}

/** A small JSON file as an object; a string says why it could not be read. */
async function readSummaryJson(
  root: string,
  path: string,
): Promise<Record<string, unknown> | string | undefined> {
  const found = await resolveInside(root, path);
  if (found.kind === 'none') {
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    return exists ? 'is not a regular file inside the folder' : undefined;
  }
  if (found.kind === 'dir') return 'is a directory';
  const file = await openRegular(found.path);
  if (!file) return 'cannot be read';
  try {
    if (file.size > MAX_SUMMARY_JSON) return 'is too large to read';
    const text = (await file.handle.readFile()).toString('utf8');
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
    return value as Record<string, unknown>;
  } catch (e) {
    return e instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** One row of the runs list. */
export interface RunEntry {
  name: string;
  /** Relative href to the run's page (or its history), when it has one. */
  href?: string;
  target?: string;
  workload?: string;
  started?: string;
  valid: unknown;
  /** What is wrong with the run; empty when nothing is. */
  problems: string[];
  mtimeMs: number;
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** The runs in a reports folder, newest first; anything odd about one is in its problems. */
export async function listRuns(root: string): Promise<RunEntry[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const runs: RunEntry[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(root, name);
    const link = await lstat(path).catch(() => undefined);
    if (!link) continue;
    const found = await resolveInside(root, path);
    if (found.kind === 'file') continue; // reports/index.html and other loose files
    if (found.kind === 'none') {
      if (link.isSymbolicLink())
        runs.push({
          name,
          valid: 'damaged',
          problems: ['a link that is broken or leads out of the folder'],
          mtimeMs: link.mtimeMs,
        });
      continue;
    }
    const dir = found.path;
    const [history, page] = await Promise.all([
      resolveInside(root, join(dir, 'history.jsonl')),
      resolveInside(root, join(dir, 'index.html')),
    ]);
    const [meta, results] = await Promise.all([
      readSummaryJson(root, join(dir, 'run.json')),
      readSummaryJson(root, join(dir, 'results.json')),
    ]);
    // A folder with none of a run's files is not a run.
    if (history.kind === 'none' && meta === undefined && results === undefined) continue;
    const problems: string[] = [];
    if (history.kind !== 'file') problems.push('no history.jsonl');
    if (typeof meta === 'string') problems.push(`run.json ${meta}`);
    if (typeof results === 'string') problems.push(`results.json ${results}`);
    const m = typeof meta === 'object' ? meta : {};
    const r = typeof results === 'object' ? results : undefined;
    const stats = await stat(dir).catch(() => link);
    const entry: RunEntry = {
      name,
      valid: problems.length > 0 ? 'damaged' : (r?.valid ?? (m.status === 'running' ? 'running' : 'unknown')),
      problems,
      mtimeMs: stats.mtimeMs,
    };
    const href =
      page.kind === 'file'
        ? relativeHref(name, 'index.html')
        : history.kind === 'file'
          ? relativeHref(name, 'history.jsonl')
          : undefined;
    if (href) entry.href = href;
    const target = text(m.target);
    const workload = text(m.workload);
    const started = text(m.startedAt ?? m.start);
    if (target !== undefined) entry.target = target;
    if (workload !== undefined) entry.workload = workload;
    if (started !== undefined) entry.started = started;
    runs.push(entry);
  }
  return runs.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? -1 : 1));
}

/** The runs list as a page (no scripts). */
export function renderRunsList(runs: RunEntry[]): string {
  const rows = runs
    .map((run) => {
      const name = run.href ? `<a href="${esc(run.href)}">${esc(run.name)}</a>` : esc(run.name);
      const badge =
        run.valid === 'damaged'
          ? `<span class="badge bad">damaged</span> <span class="muted">${esc(run.problems.join('; '))}</span>`
          : verdictBadge(run.valid as boolean);
      return `<tr><td>${name}</td><td>${esc(run.target ?? '')}</td><td>${esc(run.workload ?? '')}</td><td>${esc(
        run.started ?? '',
      )}</td><td>${badge}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faultline runs</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}td,th{padding:.2rem .8rem;text-align:left}
.badge{padding:.1rem .5rem;border-radius:.6rem;color:#fff}.ok{background:#2e7d32}.bad{background:#c62828}.unknown{background:#b26a00}.muted{color:#777}</style>
</head><body><h1>faultline runs</h1>
<table><tr><th>run</th><th>target</th><th>workload</th><th>started</th><th>verdict</th></tr>
${rows}</table>
${runs.length === 0 ? '<p>No runs yet.</p>' : ''}</body></html>\n`;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'Content-Type': TEXT,
    'Content-Security-Policy': SANDBOX_CSP,
    'Content-Length': String(bytes.length),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/** The request's path as decoded segments; undefined when it is malformed. */
function segmentsOf(url: string): { segments: string[]; trailingSlash: boolean } | undefined {
  if (!url.startsWith('/')) return undefined;
  const path = url.replace(/[?#].*$/s, '');
  const raw = path.split('/').slice(1);
  const trailingSlash = raw.length > 0 && raw[raw.length - 1] === '';
  const segments: string[] = [];
  for (const part of raw) {
    if (part === '') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (decoded.includes('/') || decoded.includes('\\') || decoded.includes('\0')) return undefined;
    segments.push(decoded);
  }
  return { segments, trailingSlash };
}

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const file = await openRegular(path);
  if (!file) return send(res, 404, 'not found\n');
  const { handle, size } = file;
  try {
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? BINARY;
    const headers: Record<string, string> = { 'Content-Type': type, 'Content-Security-Policy': SANDBOX_CSP };
    if (type === BINARY) headers['Content-Disposition'] = 'attachment';
    if (type.startsWith('text/html')) {
      if (size <= MAX_HASHED_HTML) {
        const html = (await handle.readFile()).toString('utf8');
        return send(res, 200, html, { ...headers, 'Content-Security-Policy': htmlPolicy(html) });
      }
      headers['Content-Security-Policy'] = htmlPolicy('');
    }
    res.writeHead(200, { ...COMMON_HEADERS, ...headers, 'Content-Length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (size === 0) {
      res.end();
      return;
    }
    // Stream exactly the size checked, so a file that grows meanwhile cannot hold us.
    const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: false });
    await new Promise<void>((resolve) => {
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', resolve);
      stream.pipe(res);
    });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The request handler for a reports folder (`root` must be its real path). */
export function reportsHandler(root: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!LOOPBACK_HOST.test(req.headers.host ?? ''))
        return send(res, 403, 'forbidden: faultline serve answers requests for localhost only\n');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      const parsed = segmentsOf(req.url ?? '');
      if (!parsed) return send(res, 400, 'bad request path\n');
      const { segments, trailingSlash } = parsed;
      if (segments.some((s) => s.startsWith('.'))) return send(res, 404, 'not found\n');
      if (segments.length === 0 || (segments.length === 1 && segments[0] === 'index.html')) {
        const html = renderRunsList(await listRuns(root));
        return send(res, 200, html, {
          'Content-Type': CONTENT_TYPES['.html']!,
          'Content-Security-Policy': htmlPolicy(html),
        });
      }
      const found = await resolveInside(root, join(root, ...segments));
      if (found.kind === 'none') return send(res, 404, 'not found\n');
      if (found.kind === 'dir') {
        // Relative to the last segment, so the redirect cannot leave this server.
        if (!trailingSlash)
          return send(res, 301, 'moved\n', { Location: `${relativeHref(segments[segments.length - 1]!)}/` });
        const page = await resolveInside(root, join(found.path, 'index.html'));
        if (page.kind !== 'file') return send(res, 404, 'not found\n');
        return await sendFile(req, res, page.path);
      }
      return await sendFile(req, res, found.path);
    } catch {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    }
  };
}

/** Why serving cannot start: bad input or arguments (exit 254), with one line to print. */
export class ServeError extends Error {
  override name = 'ServeError';
}

/**
 * Serves `dir` on 127.0.0.1:`port` (0 picks a free port). Rejects with ServeError when the
 * folder is missing or the port cannot be had.
 */
export async function serveReports(
  dir: string,
  port: number,
): Promise<{ server: Server; url: string; root: string }> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    throw new ServeError(`${dir}: no such folder`);
  }
  if (!(await stat(root)).isDirectory()) throw new ServeError(`${dir}: not a folder`);
  const handle = reportsHandler(root);
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(
          new ServeError(
            `port ${port} on 127.0.0.1 is already in use; choose another with --port (0 picks a free one)`,
          ),
        );
      else if (e.code === 'EACCES')
        reject(
          new ServeError(
            `not allowed to listen on port ${port}; choose another with --port (0 picks a free one)`,
          ),
        );
      else reject(new ServeError(`cannot listen on 127.0.0.1:${port} (${e.code ?? e.message})`));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${bound}/`, root };
}
