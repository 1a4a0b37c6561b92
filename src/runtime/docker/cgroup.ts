/**
 * A container's cgroup, reached through the host's /sys/fs/cgroup: the way past an engine that
 * no longer answers for a container. When a `docker exec` is being set up at the moment the
 * container is frozen, its `runc init` freezes too while holding the container's lock, and the
 * engine then blocks unpause, inspect, kill and remove on that container for good. Thawing the
 * cgroup directly lets the exec finish and the engine's calls go through again. Needs a local
 * engine and the right to write the cgroup files (root); each function says whether it managed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const ROOT = '/sys/fs/cgroup';
const unified = () => existsSync(`${ROOT}/cgroup.controllers`);

/**
 * Directories that may be the container's cgroup, best first: from its init process's
 * /proc/<pid>/cgroup when the pid is known and alive, then the cgroupfs and systemd drivers'
 * layouts by container id.
 */
export function cgroupDirs(id: string, pid?: number): string[] {
  const v2 = unified();
  const out: string[] = [];
  if (pid && pid > 0) {
    try {
      for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
        const [, controllers, path] = line.split(':');
        if (path === undefined) continue;
        if (v2 && controllers === '') out.push(`${ROOT}${path}`);
        if (!v2 && controllers?.split(',').includes('freezer')) out.push(`${ROOT}/freezer${path}`);
      }
    } catch {
      // The process is gone: fall back to the layouts.
    }
  }
  const base = v2 ? ROOT : `${ROOT}/freezer`;
  out.push(`${base}/docker/${id}`, `${base}/system.slice/docker-${id}.scope`);
  return [...new Set(out)].filter((d) => existsSync(d));
}

/** Freezes or thaws a container's processes through its cgroup. True when a file was written. */
export function setFrozen(id: string, pid: number | undefined, frozen: boolean): boolean {
  const v2 = unified();
  for (const dir of cgroupDirs(id, pid)) {
    try {
      if (v2) writeFileSync(`${dir}/cgroup.freeze`, frozen ? '1' : '0');
      else writeFileSync(`${dir}/freezer.state`, frozen ? 'FROZEN' : 'THAWED');
      return true;
    } catch {
      // Try the next candidate.
    }
  }
  return false;
}

/** Whether the container's cgroup is frozen now (undefined when it cannot be read). */
export function isFrozen(id: string, pid?: number): boolean | undefined {
  const v2 = unified();
  for (const dir of cgroupDirs(id, pid)) {
    try {
      if (v2) return readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim() === '1';
      return readFileSync(`${dir}/freezer.state`, 'utf8').trim() !== 'THAWED';
    } catch {
      // Try the next candidate.
    }
  }
  return undefined;
}

/** SIGKILLs every process of the container's cgroup from the host; returns how many. */
export function killAll(id: string, pid?: number): number {
  let killed = 0;
  for (const dir of cgroupDirs(id, pid)) {
    try {
      for (const p of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(p), 'SIGKILL');
          killed++;
        } catch {
          // Already gone or not ours.
        }
      }
      if (killed > 0) return killed;
    } catch {
      // Try the next candidate.
    }
  }
  return killed;
}
