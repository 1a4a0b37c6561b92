/**
 * Hosts for the SSH runtime's tests without other machines: network namespaces made here, each
 * with its own sshd on its own address. Layout (X a free third octet of 10.250.0.0/16, checked
 * against this machine's routes):
 *
 *   root namespace  fl<id>h 10.250.X.1/24 (the harness: faultline connects from here)
 *        | veth
 *   flsw-<id>       bridge br0 (a namespace of its own, so the host's iptables, where Docker's
 *        | veth x3   FORWARD policy drops bridged traffic, never see these packets)
 *   fl<id>-n1..n3   eth0 10.250.X.11.., sshd -D -f <generated config>, key from ssh-keygen
 *
 * Nothing leaves these namespaces and loopback: no route to anything else is added. `destroy`
 * kills every process in the namespaces (sshd and what faultline started through it), deletes
 * them (their veths go too) and the files; it runs on exit as well, and `sweepStale` removes what
 * a crashed earlier test process left (its pid file names the owner).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARKERS = join(tmpdir(), 'faultline-ssh-netns');

export interface NetnsHosts {
  id: string;
  subnet: string;
  /** "root@10.250.X.11:22", ... */
  hosts: string[];
  addresses: string[];
  namespaces: string[];
  identityFile: string;
  /** A remote directory (shared by the namespaces: one file system). */
  remoteDir: string;
  dir: string;
  /** Runs a command in a host's namespace (as root), synchronously. */
  inNs(i: number, args: string[]): { status: number | null; stdout: string; stderr: string };
  destroy(): void;
}

function sh(args: string[], input?: string) {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function must(args: string[]) {
  const r = sh(args);
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why these tests cannot run here, or undefined. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (ip netns and sshd need it)';
  if (sh(['ip', 'netns', 'list']).status !== 0) return '`ip netns` is unavailable (iproute2)';
  if (!existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is missing (apt-get install -y openssh-server)';
  if (sh(['ssh-keygen', '-?']).status === null) return 'ssh-keygen is missing';
  const probe = `flprobe${process.pid}`;
  if (sh(['ip', 'netns', 'add', probe]).status !== 0) return 'cannot create a network namespace here';
  sh(['ip', 'netns', 'del', probe]);
  return undefined;
}

function pidsIn(ns: string): number[] {
  return sh(['ip', 'netns', 'pids', ns])
    .stdout.split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

function removeNetns(id: string, count: number): void {
  const names = [`flsw-${id}`, ...Array.from({ length: count }, (_, i) => `fl${id}-n${i + 1}`)];
  for (let round = 0; round < 20; round++) {
    let left = 0;
    for (const ns of names)
      for (const pid of pidsIn(ns)) {
        left++;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    if (left === 0) break;
    spawnSync('sleep', ['0.05']);
  }
  for (const ns of names) sh(['ip', 'netns', 'del', ns]);
  sh(['ip', 'link', 'del', `fl${id}h`]);
}

/** Removes namespaces left by test processes that are gone. */
export function sweepStale(): string[] {
  const out: string[] = [];
  if (!existsSync(MARKERS)) return out;
  for (const f of readdirSync(MARKERS)) {
    try {
      const m = JSON.parse(readFileSync(join(MARKERS, f), 'utf8')) as {
        pid: number;
        id: string;
        count: number;
        dir: string;
      };
      let alive = true;
      try {
        process.kill(m.pid, 0);
      } catch {
        alive = false;
      }
      if (alive) continue;
      removeNetns(m.id, m.count);
      rmSync(m.dir, { recursive: true, force: true });
      rmSync(join(MARKERS, f), { force: true });
      out.push(m.id);
    } catch {}
  }
  return out;
}

function freeOctet(): number {
  const routes = must(['ip', '-4', 'route', 'show']);
  for (let tries = 0; tries < 100; tries++) {
    const x = 1 + Math.floor(Math.random() * 250);
    if (!routes.includes(`10.250.${x}.`)) return x;
  }
  throw new Error('no free 10.250.X.0/24 here');
}

export function createNetnsHosts(count = 3): NetnsHosts {
  sweepStale();
  const id = Math.random().toString(36).slice(2, 6);
  const x = freeOctet();
  const dir = mkdtempSync(join(tmpdir(), 'faultline-ssh-test-'));
  mkdirSync(MARKERS, { recursive: true });
  const marker = join(MARKERS, `${id}.json`);
  writeFileSync(marker, JSON.stringify({ pid: process.pid, id, count, dir }));
  const sw = `flsw-${id}`;
  const namespaces = Array.from({ length: count }, (_, i) => `fl${id}-n${i + 1}`);
  const addresses = namespaces.map((_, i) => `10.250.${x}.${11 + i}`);
  const sshds: ChildProcess[] = [];
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    for (const p of sshds) p.kill('SIGKILL');
    removeNetns(id, count);
    rmSync(dir, { recursive: true, force: true });
    rmSync(marker, { force: true });
  };
  process.once('exit', destroy);
  try {
    const inSw = (args: string[]) => must(['ip', 'netns', 'exec', sw, ...args]);
    must(['ip', 'netns', 'add', sw]);
    inSw(['ip', 'link', 'set', 'lo', 'up']);
    inSw(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    inSw(['ip', 'link', 'set', 'br0', 'up']);
    // The harness's leg.
    must(['ip', 'link', 'add', `fl${id}h`, 'type', 'veth', 'peer', 'name', `fl${id}hb`]);
    must(['ip', 'link', 'set', `fl${id}hb`, 'netns', sw]);
    inSw(['ip', 'link', 'set', `fl${id}hb`, 'master', 'br0', 'up']);
    must(['ip', 'addr', 'add', `10.250.${x}.1/24`, 'dev', `fl${id}h`]);
    must(['ip', 'link', 'set', `fl${id}h`, 'up']);

    must([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(dir, 'id_ed25519'),
      '-C',
      'faultline-test',
    ]);
    must([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(dir, 'host_ed25519'),
      '-C',
      'faultline-test-host',
    ]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_ed25519.pub')), { mode: 0o600 });
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const remoteDir = join(dir, 'remote');
    mkdirSync(remoteDir);

    namespaces.forEach((ns, i) => {
      const leg = `fl${id}n${i + 1}`;
      must(['ip', 'netns', 'add', ns]);
      must(['ip', 'link', 'add', leg, 'type', 'veth', 'peer', 'name', `${leg}b`]);
      must(['ip', 'link', 'set', `${leg}b`, 'netns', sw]);
      inSw(['ip', 'link', 'set', `${leg}b`, 'master', 'br0', 'up']);
      must(['ip', 'link', 'set', leg, 'netns', ns]);
      const inNs = (args: string[]) => must(['ip', 'netns', 'exec', ns, ...args]);
      inNs(['ip', 'link', 'set', leg, 'name', 'eth0']);
      inNs(['ip', 'addr', 'add', `${addresses[i]}/24`, 'dev', 'eth0']);
      inNs(['ip', 'link', 'set', 'eth0', 'up']);
      inNs(['ip', 'link', 'set', 'lo', 'up']);
      const config = join(dir, `sshd-n${i + 1}.conf`);
      writeFileSync(
        config,
        [
          'Port 22',
          `ListenAddress ${addresses[i]}`,
          `HostKey ${join(dir, 'host_ed25519')}`,
          `PidFile ${join(dir, `sshd-n${i + 1}.pid`)}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'MaxSessions 32',
          'MaxStartups 64',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      const log = openSync(join(dir, `sshd-n${i + 1}.log`), 'a');
      const p = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-e', '-f', config], {
        stdio: ['ignore', log, log],
      });
      sshds.push(p);
    });
    // Each sshd answers on its address.
    for (const [i, a] of addresses.entries()) {
      let ok = false;
      for (let t = 0; t < 100 && !ok; t++) {
        ok = sh(['bash', '-c', `exec 3<>/dev/tcp/${a}/22`]).status === 0;
        if (!ok) spawnSync('sleep', ['0.1']);
      }
      if (!ok)
        throw new Error(
          `sshd on ${a} did not answer: ${readFileSync(join(dir, `sshd-n${i + 1}.log`), 'utf8')}`,
        );
    }
    return {
      id,
      subnet: `10.250.${x}.0/24`,
      hosts: addresses.map((a) => `root@${a}:22`),
      addresses,
      namespaces,
      identityFile: join(dir, 'id_ed25519'),
      remoteDir,
      dir,
      inNs: (i, args) => sh(['ip', 'netns', 'exec', namespaces[i]!, ...args]),
      destroy,
    };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** Whether anything of ours is left: processes in the namespaces besides sshd, chains, files. */
export function leftovers(h: NetnsHosts): string[] {
  const problems: string[] = [];
  h.namespaces.forEach((ns, i) => {
    for (const pid of pidsIn(ns)) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue;
      }
      if (/^(\/usr\/sbin\/)?sshd/.test(cmd)) continue;
      problems.push(`${ns}: process ${pid} ${cmd}`);
    }
    const chains = h.inNs(i, ['iptables', '-w', '-S']).stdout;
    for (const line of chains.split('\n'))
      if (/faultline/.test(line)) problems.push(`${ns}: iptables ${line}`);
  });
  const files = existsSync(h.remoteDir) ? readdirSync(h.remoteDir) : [];
  for (const f of files) problems.push(`remote dir: ${f}`);
  return problems;
}
