/**
 * The `faultline-base` image: an almost empty root file system whose bin, lib, lib64 and sbin
 * are symlinks into /usr, run with the host's /usr mounted read-only. No registry needed: the
 * databases are whatever Debian packages the host has installed (scripts/setup-docker.sh).
 * Built here too when missing, with the same layout as the setup script's.
 */
import { Readable } from 'node:stream';
import { docker } from './engine.js';

export const BASE_IMAGE = 'faultline-base:1';

type Entry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; content: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const ENTRIES: Entry[] = [
  ...['usr', 'etc', 'data', 'run', 'var', 'var/run', 'proc', 'sys', 'dev', 'faultline'].map(
    (path): Entry => ({ type: 'dir', path }),
  ),
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'dir', path: 'var/tmp', mode: 0o1777 },
  { type: 'symlink', path: 'bin', target: 'usr/bin' },
  { type: 'symlink', path: 'sbin', target: 'usr/sbin' },
  { type: 'symlink', path: 'lib', target: 'usr/lib' },
  { type: 'symlink', path: 'lib64', target: 'usr/lib64' },
  {
    type: 'file',
    path: 'etc/passwd',
    content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  },
  { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
  { type: 'file', path: 'etc/nsswitch.conf', content: 'hosts: files dns\n' },
];

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, mode: number, size: number, typeflag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(typeflag, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A tar archive (ustar) of the base root file system. */
export function baseRootfsTar(): Buffer {
  const parts: Buffer[] = [];
  for (const e of ENTRIES) {
    if (e.type === 'dir') parts.push(header(`./${e.path}/`, e.mode ?? 0o755, 0, '5'));
    else if (e.type === 'symlink') parts.push(header(`./${e.path}`, 0o777, 0, '2', e.target));
    else {
      const body = Buffer.from(e.content, 'utf8');
      parts.push(header(`./${e.path}`, e.mode ?? 0o644, body.length, '0'), body);
      const pad = (512 - (body.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function imageExists(name: string): Promise<boolean> {
  try {
    await docker().getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

let building: Promise<void> | undefined;

/** Makes sure the base image exists, importing it when missing. */
export async function ensureBaseImage(): Promise<void> {
  if (await imageExists(BASE_IMAGE)) return;
  building ??= (async () => {
    const [repo, tag] = BASE_IMAGE.split(':') as [string, string];
    const stream = await docker().importImage(Readable.from([baseRootfsTar()]), { repo, tag });
    await new Promise<void>((resolve, reject) => {
      docker().modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  })();
  try {
    await building;
  } finally {
    building = undefined;
  }
}

/** Whether a named image is present locally (a user-named official image must be pulled first). */
export async function requireImage(name: string): Promise<void> {
  if (name === BASE_IMAGE) return ensureBaseImage();
  if (!(await imageExists(name))) {
    throw new Error(`image ${name} is not present locally (docker pull or build it first)`);
  }
}
