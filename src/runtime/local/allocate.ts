/**
 * The local runtime's placement: loopback ports per node, and the fault proxy's routes in
 * front of them: one per client port, one per ordered pair of nodes and port (handed out by
 * `peer`), and one shared per node and port (handed out by `advertise`, whose senders the
 * target's `identify` hook names). At start, the routes no node was given are closed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../../targets/types.js';
import { CLIENT, FaultProxy, type Route, UNKNOWN } from '../proxy/index.js';
import type { AllocateRequest, NodeSlot, Placement } from '../runtime.js';
import { startLocal } from './cluster.js';
import type { PeerRouting } from './faults.js';
import { nodeHost, pickPorts } from './ports.js';
import type { LocalSettings } from './run.js';

/** The proxy's routes for one run, by who they are for. */
interface Routes {
  /** Per node, per port: the route clients use. */
  client: Map<string, Record<string, Route>>;
  /** Per ordered pair of nodes and port (pairKey). */
  peer: Map<string, Route>;
  /** One per node and port, which every peer dials (the target names each sender: identify). */
  shared: Map<string, Route>;
  /** The peer and shared routes handed to a node. */
  used: Set<Route>;
}

const pairKey = (from: string, to: string, port: string) => `${from}>${to}:${port}`;

async function openRoutes(
  proxy: FaultProxy,
  names: readonly string[],
  portNames: readonly string[],
  realPorts: (i: number) => Record<string, number>,
): Promise<Routes> {
  const routes: Routes = { client: new Map(), peer: new Map(), shared: new Map(), used: new Set() };
  await Promise.all(
    names.map(async (to, i) => {
      const ports = realPorts(i);
      const mine: Record<string, Route> = {};
      for (const p of portNames) {
        const at = { host: nodeHost(i), targetHost: nodeHost(i), targetPort: ports[p]! };
        mine[p] = await proxy.addRoute({ from: CLIENT, to, ...at });
        routes.shared.set(`${to}:${p}`, await proxy.addRoute({ from: UNKNOWN, to, ...at }));
        for (const from of names) {
          if (from === to) continue;
          routes.peer.set(pairKey(from, to, p), await proxy.addRoute({ from, to, ...at }));
        }
      }
      routes.client.set(to, mine);
    }),
  );
  return routes;
}

function slotsFor(
  names: readonly string[],
  realPorts: (i: number) => Record<string, number>,
  routes: Routes,
  logDir: string,
): NodeSlot[] {
  return names.map((name, i) => ({
    name,
    host: nodeHost(i),
    ports: realPorts(i),
    dataDir: join(logDir, name),
    share: (hostPath: string) => hostPath,
    peer(other: string, port: string) {
      const r = routes.peer.get(pairKey(name, other, port));
      if (!r) throw new Error(`no route from ${name} to ${other}'s ${port} port`);
      routes.used.add(r);
      return r.address;
    },
    advertise(port: string) {
      const r = routes.shared.get(`${name}:${port}`);
      if (!r) throw new Error(`${name} has no ${port} port`);
      routes.used.add(r);
      return r.address;
    },
  }));
}

/** Whether every pair that talks is routed (which decides partitions); unused routes are closed. */
async function settleRoutes(
  proxy: FaultProxy,
  routes: Routes,
  deployment: Deployment,
  names: readonly string[],
  portNames: readonly string[],
): Promise<PeerRouting> {
  const { used, shared, peer } = routes;
  // A shared route cuts per pair only with the target's hook naming each sender.
  for (const [at, r] of shared) {
    const identify = deployment.identify?.[at.slice(at.indexOf(':') + 1)];
    if (identify && used.has(r)) proxy.identifyOn(r, identify);
    else used.delete(r);
  }
  const through = (a: string, b: string, p: string) =>
    used.has(peer.get(pairKey(a, b, p))!) || used.has(shared.get(`${b}:${p}`)!);
  const dials = (a: string, b: string) => !deployment.dials || Boolean(deployment.dials[a]?.includes(b));
  const routed = names.every((a) =>
    names.every((b) => a === b || !dials(a, b) || portNames.some((p) => through(a, b, p))),
  );
  const identified = [...shared.values()].some((r) => used.has(r));
  await Promise.all(
    [...peer.values(), ...shared.values()].filter((r) => !used.has(r)).map((r) => proxy.removeRoute(r)),
  );
  return { routed, identified };
}

export async function allocateLocal(
  req: AllocateRequest,
  settings: LocalSettings,
  live: Set<{ stop(): Promise<void> }>,
): Promise<Placement> {
  const names = Array.from({ length: req.nodes }, (_, i) => `n${i + 1}`);
  const portNames = Object.keys(req.ports);
  const proxy = new FaultProxy({ blackhole: settings.blackhole });
  const released = { done: false };
  const holder = {
    stop: async () => {
      if (released.done) return;
      released.done = true;
      await proxy.close();
      live.delete(holder);
    },
  };
  live.add(holder);
  try {
    const real = await Promise.all(names.map((_, i) => pickPorts(portNames.length, nodeHost(i))));
    const realPorts = (i: number) => Object.fromEntries(portNames.map((p, k) => [p, real[i]![k]!]));
    const routes = await openRoutes(proxy, names, portNames, realPorts);
    mkdirSync(req.logDir, { recursive: true });
    const slots = slotsFor(names, realPorts, routes, req.logDir);
    return {
      slots,
      info: { runtime: 'local', hosts: names.map((_, i) => nodeHost(i)), blackhole: settings.blackhole },
      async start(deployment) {
        const peers = await settleRoutes(proxy, routes, deployment, names, portNames);
        live.delete(holder);
        released.done = true;
        return startLocal(req, settings, live, proxy, deployment, slots, routes.client, peers);
      },
      release: holder.stop,
    };
  } catch (e) {
    await holder.stop();
    throw e;
  }
}
