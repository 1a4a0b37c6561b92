/**
 * kvstore: faultline's own leaderless store (src/kvstore), N nodes (3 by default), clients
 * spread over every node. Each node runs faultline's compiled code with the host's node, under
 * libfaketime so the clock fault can skew it.
 *
 * The code comes from the project's dist/ when faultline runs compiled; when it runs from its
 * TypeScript sources (tests), the store is bundled on the fly with esbuild (a dev dependency).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probe } from '../clients/http.js';
import { validateConfig } from '../kvstore/server.js';
import type { Deployment, Mount, Target, TargetOptions } from './types.js';

export const KV_PORT = 8000;

const here = dirname(fileURLToPath(import.meta.url));

/** Where the node's entry script is, and what to mount for it. */
async function nodeCode(): Promise<{ mount: Mount; entry: string }> {
  const compiled = join(here, '..', 'kvstore', 'main.js');
  if (existsSync(compiled)) {
    // dist/src/targets → the package root (it holds package.json: "type": "module").
    const root = resolve(here, '..', '..', '..');
    const rel = compiled.slice(root.length + 1);
    return {
      mount: { hostPath: root, containerPath: '/faultline/app', readOnly: true },
      entry: `/faultline/app/${rel}`,
    };
  }
  const source = join(here, '..', 'kvstore', 'main.ts');
  if (!existsSync(source)) throw new Error(`kvstore code not found next to ${here}`);
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'faultline-kvstore-'));
    await esbuild.build({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: join(dir, 'main.mjs'),
      logLevel: 'silent',
    });
    return dir;
  })();
  const dir = await bundled;
  return {
    mount: { hostPath: dir, containerPath: '/faultline/kvstore', readOnly: true },
    entry: '/faultline/kvstore/main.mjs',
  };
}
let bundled: Promise<string> | undefined;

const intOption = (options: TargetOptions, name: string): number | undefined => {
  const v = options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`kvstore: ${name} must be an integer ≥ 0 (got ${String(v)})`);
  return n;
};

export const kvstoreTarget: Target = {
  name: 'kvstore',
  topologies: ['leaderless'],
  defaultTopology: 'leaderless',
  defaultNodes: () => 3,
  async plan(options: TargetOptions, hosts: readonly string[]): Promise<Deployment> {
    if (options.topology !== 'leaderless') {
      throw new Error(`kvstore has one topology, "leaderless" (got "${options.topology}")`);
    }
    const names = hosts.map((_, i) => `n${i + 1}`);
    const peers = Object.fromEntries(names.map((n, i) => [n, `${hosts[i]}:${KV_PORT}`]));
    const n = intOption(options, 'replicas') ?? hosts.length;
    const quorum = Math.floor(n / 2) + 1;
    const r = intOption(options, 'readQuorum') ?? quorum;
    const w = intOption(options, 'writeQuorum') ?? quorum;
    validateConfig({ n, r, w, peers });
    const readRepair = options.readRepair === true;
    const replicationDelayMs = intOption(options, 'replicationDelayMs') ?? 0;
    const { mount, entry } = await nodeCode();
    const env = {
      KV_PEERS: Object.entries(peers)
        .map(([id, addr]) => `${id}=${addr}`)
        .join(','),
      KV_PORT: String(KV_PORT),
      KV_N: String(n),
      KV_R: String(r),
      KV_W: String(w),
      KV_READ_REPAIR: readRepair ? '1' : '0',
      KV_REPLICATION_DELAY_MS: String(replicationDelayMs),
      KV_TIMEOUT_MS: String(intOption(options, 'internalTimeoutMs') ?? 1000),
    };
    return {
      target: 'kvstore',
      topology: 'leaderless',
      nodes: hosts.map((host, i) => ({
        name: names[i]!,
        host,
        role: 'replica',
        ports: { client: KV_PORT },
        command: ['/usr/bin/node', entry],
        env: { ...env, KV_NODE: names[i]! },
        fakeClock: true,
      })),
      mounts: [mount],
      unsupported: {},
      info: { n, r, w, readRepair, replicationDelayMs },
      version: async () => `faultline kvstore (node ${process.version})`,
      ready: (node) => probe(`http://${node.host}:${node.ports.client}/health`),
    };
  },
};
