/**
 * What the hosts allow: each answers one probe script (scripts.ts) over SSH; the fault table is
 * what every host can do, each refusal naming the host(s) and why. Clock faults set a host's
 * real clock, so hosts that share one kernel (the same boot id: containers or network
 * namespaces of one machine) cannot take them: skewing one would skew all.
 */
import { FAULT_KINDS } from '../cluster.js';
import type { RuntimeProbe, Support } from '../runtime.js';
import { type Connection, hostLabel } from './conn.js';
import { probeScript } from './scripts.js';

export interface HostFacts {
  label: string;
  boot?: string;
  kernel?: string;
  uid?: string;
  priv: boolean;
  iptables: string;
  netem: string;
  error?: string;
}

export function parseFacts(label: string, out: string): HostFacts {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return {
    label,
    boot: kv.get('boot') || undefined,
    kernel: kv.get('kernel'),
    uid: kv.get('uid'),
    priv: kv.get('priv') === 'ok',
    iptables: kv.get('iptables') ?? 'no answer',
    netem: kv.get('netem') ?? 'no answer',
  };
}

export async function probeHosts(
  conns: readonly Connection[],
  sudo: string,
  timeoutMs: number,
): Promise<HostFacts[]> {
  return Promise.all(
    conns.map(async (c) => {
      try {
        return parseFacts(c.label, await c.run(probeScript(sudo), { timeoutMs, what: 'the probe' }));
      } catch (e) {
        return {
          label: c.label,
          priv: false,
          iptables: 'no answer',
          netem: 'no answer',
          error: (e as Error).message,
        };
      }
    }),
  );
}

const list = (hosts: HostFacts[]) => hosts.map((h) => h.label).join(', ');

export function faultTable(facts: HostFacts[], sudo: boolean): RuntimeProbe['faults'] {
  const faults = Object.fromEntries(FAULT_KINDS.map((f) => [f, { supported: true }])) as Record<
    (typeof FAULT_KINDS)[number],
    Support
  >;
  const privHint = sudo ? 'sudo -n fails there' : 'not root there (give --sudo for passwordless sudo)';
  const unpriv = facts.filter((f) => !f.priv);
  const noIptables = facts.filter((f) => f.iptables !== 'ok');
  if (unpriv.length > 0 || noIptables.length > 0) {
    const reason =
      unpriv.length > 0
        ? `iptables needs root on ${list(unpriv)}: ${privHint}`
        : `iptables does not work on ${noIptables.map((f) => `${f.label} (${f.iptables})`).join(', ')}`;
    faults.partition = { supported: false, reason };
    faults.loss = { supported: false, reason };
  }
  const noNetem = facts.filter((f) => f.netem !== 'ok');
  if (noNetem.length > 0)
    faults.latency = {
      supported: false,
      reason: `no netem on ${noNetem.map((f) => `${f.label} (kernel ${f.kernel ?? '?'}; tc said: ${f.netem})`).join(', ')}`,
    };
  const byBoot = new Map<string, HostFacts[]>();
  for (const f of facts) if (f.boot) byBoot.set(f.boot, [...(byBoot.get(f.boot) ?? []), f]);
  const shared = [...byBoot.entries()].filter(([, hs]) => hs.length > 1);
  if (shared.length > 0) {
    const [boot, hs] = shared[0]!;
    faults.clock = {
      supported: false,
      reason: `hosts ${list(hs)} share one kernel (the same /proc/sys/kernel/random/boot_id ${boot}): they are containers or namespaces of one machine, and setting the clock on one would set it on all`,
    };
  } else if (facts.some((f) => !f.boot))
    faults.clock = {
      supported: false,
      reason: `no boot id from ${list(facts.filter((f) => !f.boot))} (/proc/sys/kernel/random/boot_id), so faultline cannot tell whether hosts share a kernel`,
    };
  else if (unpriv.length > 0)
    faults.clock = {
      supported: false,
      reason: `setting the clock needs root on ${list(unpriv)}: ${privHint}`,
    };
  const down = facts.filter((f) => f.error);
  if (down.length > 0) {
    const reason = `unreachable: ${down.map((f) => f.error).join('; ')}`;
    for (const k of FAULT_KINDS) faults[k] = { supported: false, reason };
  }
  return faults;
}

export { hostLabel };
