/**
 * Subnets for the runs' bridge networks. Each run gets its own /24 out of a pool (default
 * 10.213.0.0/16, FAULTLINE_SUBNET_POOL to change it), avoiding subnets Docker already uses and
 * the host's routes, or exactly the subnet the user names (--subnet / FAULTLINE_SUBNET).
 */
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { bounded, docker } from './engine.js';

export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';

export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: "${text}" (expected e.g. 10.213.0.0/24)`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 28) {
    throw new Error(`bad subnet "${text}": octets 0-255, prefix /8 to /28`);
  }
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (addr & mask(bits)) >>> 0, bits };
}

const mask = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

export const formatIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
export const formatCidr = (c: Cidr) => `${formatIp(c.base)}/${c.bits}`;

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask(bits)) >>> 0 === (b.base & mask(bits)) >>> 0;
}

/** The nth host address of a subnet (1 is the gateway). */
export const hostIp = (c: Cidr, n: number) => formatIp(c.base + n);

/** Subnets of the host's routes (other than the default route). */
function hostRoutes(): Cidr[] {
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
    const out: Cidr[] = [];
    for (const line of lines) {
      const [, dest, , , , , , maskHex] = line.trim().split(/\s+/);
      if (!dest || !maskHex || dest === '00000000') continue;
      // /proc/net/route prints addresses little-endian.
      const le = (h: string) => Number.parseInt(h.match(/../g)!.reverse().join(''), 16) >>> 0;
      const bits = le(maskHex).toString(2).replace(/0/g, '').length;
      out.push({ base: le(dest), bits });
    }
    return out;
  } catch {
    return [];
  }
}

/** Subnets already used by Docker networks. */
async function dockerSubnets(): Promise<Cidr[]> {
  const nets = await bounded('list networks', (abortSignal) => docker().listNetworks({ abortSignal }));
  const out: Cidr[] = [];
  for (const n of nets) {
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet)) out.push(parseCidr(c.Subnet));
    }
  }
  return out;
}

/**
 * Candidate /24 subnets for a new run, free as far as can be seen now, starting at a
 * pseudo-random offset so parallel runs rarely race for the same one.
 */
export async function candidateSubnets(poolText = process.env.FAULTLINE_SUBNET_POOL ?? DEFAULT_SUBNET_POOL) {
  const pool = parseCidr(poolText);
  if (pool.bits > 24) return [pool];
  const used = [...(await dockerSubnets()), ...hostRoutes()];
  const count = 2 ** (24 - pool.bits);
  const start = Math.floor(Math.random() * count);
  const out: Cidr[] = [];
  for (let i = 0; i < count && out.length < 16; i++) {
    const c: Cidr = { base: (pool.base + ((start + i) % count) * 256) >>> 0, bits: 24 };
    if (!used.some((u) => overlaps(u, c))) out.push(c);
  }
  if (out.length === 0) throw new Error(`no free /24 left in subnet pool ${poolText}`);
  return out;
}

/**
 * Creates the run's bridge network: the named subnet, or the first free candidate of the pool.
 * Internal: containers reach each other and the host, nothing else.
 */
export async function createNetwork(
  name: string,
  labels: Record<string, string>,
  subnet: string | undefined,
): Promise<{ network: Docker.Network; cidr: Cidr }> {
  const candidates = subnet ? [parseCidr(subnet)] : await candidateSubnets();
  let lastError: unknown;
  for (const cidr of candidates) {
    try {
      const network = await bounded(`create network ${name}`, (abortSignal) =>
        docker().createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          // No route out: containers reach each other and the host, nothing else.
          Internal: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: formatCidr(cidr), Gateway: hostIp(cidr, 1) }] },
          Labels: labels,
          abortSignal,
        }),
      );
      return { network, cidr };
    } catch (e) {
      lastError = e;
      const msg = String((e as Error).message);
      if (!/overlap|in use|conflict/i.test(msg) || subnet) break;
    }
  }
  throw new Error(`could not create network ${name}: ${(lastError as Error)?.message ?? lastError}`);
}
