/**
 * The SSH runtime: each node on its own host (VM, bare metal, cloud instance), driven over SSH
 * with no agent installed there: a supervisor shell script uploaded per run, the database the
 * host already has (its program must be there), faults with the host's own tools (iptables,
 * tc netem, date). One SSH connection per host; every remote command bounded; a host that drops
 * is an error naming it. See cluster.ts for what each fault does, scripts.ts for what is left on
 * a host while a run is up and how it is removed (also when the harness dies: the tether).
 */
import { createHash } from 'node:crypto';
import { FAULT_KINDS } from '../cluster.js';
import type { Runtime, RuntimeFactory, RuntimeProbe } from '../runtime.js';
import { cleanHost } from './clean.js';
import { allocateSsh, type HostSlot, type SshSettings } from './cluster.js';
import { ConnectionPool, type HostSpec, hostLabel } from './conn.js';
import { addressOf, hostsOf, type SshOptions, sshOptions } from './hosts.js';
import { faultTable, probeHosts } from './probe.js';
import { chainName } from './scripts.js';

export { sshOptions } from './hosts.js';

export type SshRuntimeOptions = import('zod').input<typeof sshOptions>;

export function createSshRuntime(o: SshRuntimeOptions): Runtime {
  const options: SshOptions = sshOptions.parse(o);
  let hosts: HostSpec[] | undefined;
  let hostsError: string | undefined;
  try {
    hosts = hostsOf(options);
    if (hosts.length === 0)
      hostsError = 'no hosts given (--hosts user@host:port,... or runtimeOptions.nodes in a config file)';
  } catch (e) {
    hostsError = (e as Error).message;
  }
  const settings: SshSettings = {
    remoteDir: options.remoteDir.replace(/\/+$/, '') || '/tmp/faultline',
    sudo: options.sudo ? 'sudo -n' : '',
    commandTimeoutMs: options.commandTimeout * 1000,
    readyTimeoutMs: options.readyTimeout * 1000,
  };
  const auth = {
    identityFile: options.identityFile,
    connectTimeoutMs: options.connectTimeout * 1000,
  };
  const live = new Set<{ stop(): Promise<void> }>();
  const need = (): HostSpec[] => {
    if (!hosts || hostsError) throw new Error(`ssh runtime: ${hostsError}`);
    return hosts;
  };

  return {
    name: 'ssh',
    clock: 'system',
    async probe(): Promise<RuntimeProbe> {
      if (!hosts || hostsError) {
        const no = { supported: false as const, reason: hostsError ?? 'no hosts' };
        return {
          available: no,
          faults: Object.fromEntries(FAULT_KINDS.map((f) => [f, no])) as RuntimeProbe['faults'],
          info: { runtime: 'ssh' },
        };
      }
      const pool = new ConnectionPool(auth);
      try {
        const facts = await probeHosts(
          hosts.map((h) => pool.get(h)),
          settings.sudo,
          settings.commandTimeoutMs,
        );
        const down = facts.filter((f) => f.error);
        return {
          available:
            down.length > 0
              ? { supported: false, reason: down.map((f) => f.error).join('; ') }
              : { supported: true },
          faults: faultTable(facts, options.sudo),
          info: {
            runtime: 'ssh',
            hosts: facts.map((f) => ({ ssh: f.label, kernel: f.kernel, bootId: f.boot })),
            sudo: options.sudo,
            remoteDir: settings.remoteDir,
          },
        };
      } finally {
        pool.closeAll();
      }
    },
    async allocate(request) {
      const specs = need();
      if (specs.length < request.nodes)
        throw new Error(
          `ssh runtime: ${request.nodes} nodes need ${request.nodes} hosts (one node per host); ${specs.length} given: ${specs.map(hostLabel).join(', ')}`,
        );
      const slots: HostSlot[] = await Promise.all(
        specs.slice(0, request.nodes).map(async (spec) => ({ spec, address: await addressOf(spec.host) })),
      );
      return allocateSsh(request, slots, settings, new ConnectionPool(auth), live);
    },
    async clean(c = {}) {
      const specs = need();
      const pool = new ConnectionPool(auth);
      try {
        const results = await Promise.allSettled(
          specs.map((h) =>
            cleanHost(pool.get(h), {
              remoteDir: settings.remoteDir,
              runId: c.runId,
              chain: c.runId
                ? chainName(c.runId, (s) => createHash('sha1').update(s).digest('hex'))
                : undefined,
              dryRun: c.dryRun === true,
              sudo: settings.sudo,
              timeoutMs: Math.max(settings.commandTimeoutMs, 30_000),
            }),
          ),
        );
        const failed = results.flatMap((r, i) =>
          r.status === 'rejected' ? [`${hostLabel(specs[i]!)}: ${(r.reason as Error).message}`] : [],
        );
        if (failed.length > 0) throw new Error(`ssh clean: ${failed.join('; ')}`);
        return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      } finally {
        pool.closeAll();
      }
    },
    async stopAll() {
      await Promise.allSettled([...live].map((x) => x.stop()));
    },
  };
}

export const sshRuntime: RuntimeFactory<SshOptions> = {
  name: 'ssh',
  description: 'each node on its own host over SSH (iptables, tc netem and date there for faults; no agent)',
  options: sshOptions,
  create: (o) => createSshRuntime(o),
};
