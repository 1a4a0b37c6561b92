/**
 * The `faultline-base` image: an almost empty root file system whose bin, lib, lib64 and sbin
 * are symlinks into /usr, run with the host's /usr mounted read-only. No registry needed: the
 * databases are whatever Debian packages the host has installed (scripts/setup-docker.sh).
 * Built here too when missing, with the same layout as the setup script's.
 */
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
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

/** A tar archive (ustar) of the base root file system: everything owned by root, mtime 0. */
export async function baseRootfsTar(): Promise<Buffer> {
  const archive = pack();
  const owner = { uid: 0, gid: 0, mtime: new Date(0) };
  for (const e of ENTRIES) {
    const name = `./${e.path}`;
    if (e.type === 'dir')
      archive.entry({ ...owner, name: `${name}/`, type: 'directory', mode: e.mode ?? 0o755 });
    else if (e.type === 'symlink')
      archive.entry({ ...owner, name, type: 'symlink', mode: 0o777, linkname: e.target });
    else archive.entry({ ...owner, name, type: 'file', mode: e.mode ?? 0o644 }, e.content);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
    const stream = await docker().importImage(Readable.from([await baseRootfsTar()]), { repo, tag });
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
