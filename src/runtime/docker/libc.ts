/**
 * Which C library an image carries, read from the image's files without running it: whether
 * the host's libfaketime (built against the host's glibc) can be preloaded into its programs.
 */
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { bounded, docker, LABEL_APP, NAME_PREFIX, statusOf } from './engine.js';
import { LABEL_OWNER, OWNER_ID } from './watchdog.js';

export type ImageLibc =
  | { kind: 'glibc'; version: string; path: string }
  | { kind: 'musl'; path: string }
  | { kind: 'none' };

const ARCH = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const GLIBC_PATHS = [
  `/lib/${ARCH}-linux-gnu/libc.so.6`,
  `/usr/lib/${ARCH}-linux-gnu/libc.so.6`,
  '/lib64/libc.so.6',
  '/usr/lib64/libc.so.6',
  '/lib/libc.so.6',
  '/usr/lib/libc.so.6',
];
const MUSL_PATHS = [`/lib/ld-musl-${ARCH}.so.1`, `/usr/lib/ld-musl-${ARCH}.so.1`];

/** The host's glibc version ("2.36"), what libfaketime was built against; undefined off glibc. */
export function hostGlibc(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return header?.glibcVersionRuntime;
}

/** Compares dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The glibc version a libc.so.6 names: its banner, else its newest GLIBC_2.N symbol version. */
export function glibcVersionOf(content: Buffer): string | undefined {
  const text = content.toString('latin1');
  const banner = /release version (\d+\.\d+)/.exec(text);
  if (banner) return banner[1];
  let best: string | undefined;
  for (const m of text.matchAll(/GLIBC_(2\.\d+)/g))
    if (!best || compareVersions(m[1]!, best) > 0) best = m[1]!;
  return best;
}

/** One file of a (created, not started) container: its content, or its link target. */
async function readEntry(
  container: { getArchive(o: { path: string; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream> },
  path: string,
): Promise<{ content?: Buffer; link?: string } | undefined> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await bounded(`read ${path}`, (abortSignal) => container.getArchive({ path, abortSignal }));
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let found: { content?: Buffer; link?: string } | undefined;
    extract.on('entry', (header, body, next) => {
      if (found) {
        body.resume();
        body.on('end', next);
        return;
      }
      if (header.type === 'symlink') {
        found = { link: header.linkname ?? '' };
        body.resume();
        body.on('end', next);
        return;
      }
      const chunks: Buffer[] = [];
      body.on('data', (c: Buffer) => chunks.push(c));
      body.on('end', () => {
        found = { content: Buffer.concat(chunks) };
        next();
      });
    });
    extract.on('finish', () => resolve(found));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

const cache = new Map<string, Promise<ImageLibc>>();

/** The image's C library (cached per image). */
export function imageLibc(image: string): Promise<ImageLibc> {
  let p = cache.get(image);
  if (!p) {
    p = detect(image);
    cache.set(image, p);
    p.catch(() => cache.delete(image));
  }
  return p;
}

/** Runs `fn` on a created, never started container of the image (to read its files), then removes it. */
async function withImageFiles<T>(image: string, fn: (container: Docker.Container) => Promise<T>): Promise<T> {
  const container = await bounded('create a container to read the image', (abortSignal) =>
    docker().createContainer({
      name: `${NAME_PREFIX}read-${Math.random().toString(36).slice(2, 10)}`,
      Image: image,
      Cmd: ['faultline-never-started'],
      Labels: { [LABEL_APP]: '1', [LABEL_OWNER]: OWNER_ID },
      abortSignal,
    }),
  );
  try {
    return await fn(container);
  } finally {
    await bounded('remove', (abortSignal) => container.remove({ force: true, abortSignal })).catch(() => {});
  }
}

/** Which of these absolute paths exist in the image (links count, followed or not). */
export function imageHasPaths(image: string, paths: readonly string[]): Promise<Set<string>> {
  return withImageFiles(image, async (container) => {
    const found = new Set<string>();
    for (const path of paths) {
      const ok = await bounded(`stat ${path}`, (abortSignal) =>
        container.infoArchive({ path, abortSignal }),
      ).then(
        () => true,
        (e) => {
          if (statusOf(e) === 404) return false;
          throw e;
        },
      );
      if (ok) found.add(path);
    }
    return found;
  });
}

function detect(image: string): Promise<ImageLibc> {
  return withImageFiles(image, async (container): Promise<ImageLibc> => {
    for (const path of MUSL_PATHS) if (await readEntry(container, path)) return { kind: 'musl', path };
    for (const path of GLIBC_PATHS) {
      const entry = await readEntry(container, path);
      if (!entry) continue;
      // Before glibc 2.34, libc.so.6 was a link to libc-2.NN.so.
      const linked = entry.link && /libc-(\d+\.\d+)\.so/.exec(entry.link)?.[1];
      let version = linked || (entry.content && glibcVersionOf(entry.content));
      if (!version && entry.link) {
        const target = entry.link.startsWith('/')
          ? entry.link
          : `${path.slice(0, path.lastIndexOf('/'))}/${entry.link}`;
        const real = await readEntry(container, target);
        version = real?.content && glibcVersionOf(real.content);
      }
      if (version) return { kind: 'glibc', version, path };
    }
    return { kind: 'none' };
  });
}

/**
 * Whether the host's libfaketime can be preloaded into this image's programs; the reason when
 * not, in one line.
 */
export async function fakeClockOnImage(image: string): Promise<string | undefined> {
  const host = hostGlibc();
  if (!host) return 'the host is not a glibc system, and its libfaketime cannot be preloaded into the image';
  const libc = await imageLibc(image);
  if (libc.kind === 'musl') {
    return `image ${image} uses musl libc (${libc.path}); the host's libfaketime is built for glibc`;
  }
  if (libc.kind === 'none') {
    return `image ${image} has no glibc (a static or distroless program ignores LD_PRELOAD)`;
  }
  if (compareVersions(libc.version, host) < 0) {
    return `image ${image} has glibc ${libc.version}, older than the host's ${host} that libfaketime is built against`;
  }
  return undefined;
}
