/**
 * Bringing an SSH run up, step by step over every host: the target's program checked, the
 * node directories, scripts and shared files uploaded, the tether held, the run's iptables
 * chain hooked into INPUT, the supervisors started detached; then waiting for readiness.
 */
import type { Deployment } from '../../targets/types.js';
import { type Cluster, nodeByName } from '../cluster.js';
import { q } from './conn.js';
import { type HostCtx, type NodeState, onEach, run, where } from './node.js';
import { SUPERVISOR_SCRIPT, stateScript, TEARDOWN_SCRIPT, TETHER_SCRIPT } from './scripts.js';

/** The program each node runs must be on its host: which host lacks it, by name. */
export async function checkPrograms(ctx: HostCtx, nodes: NodeState[]): Promise<void> {
  const lacking: string[] = [];
  await onEach('checking the programs', nodes, async (st) => {
    const prog = st.spec.command[0];
    if (!prog) throw new Error('the deployment gives no command');
    const test = prog.includes('/') ? `[ -x ${q(prog)} ]` : `command -v ${q(prog)} >/dev/null`;
    const r = await st.conn.exec(test, { timeoutMs: ctx.timeoutMs, what: `looking for ${prog}` });
    if (r.code !== 0) lacking.push(`${st.spec.name} (${st.conn.label}) lacks ${prog}`);
  });
  if (lacking.length > 0)
    throw new Error(`the target's program is not on every host: ${lacking.sort().join('; ')}`);
}

/** Directories, scripts, shared files and the chain on every host; the tether first of all. */
export async function prepareHosts(ctx: HostCtx, nodes: NodeState[], sudo: string): Promise<void> {
  const { S, chain, iptables, timeoutMs } = ctx;
  await onEach('preparing the hosts', nodes, async (st) => {
    await run(
      ctx,
      st,
      `mkdir -p ${st.dir}/ctl ${st.dir}/data ${st.dir}/share && touch ${st.dir}/ctl/stopped`,
      'mkdir',
    );
    const env = `SUDO=${q(sudo)}\nCHAIN=${iptables ? chain : "''"}\nHOST=${q(st.conn.label)}\n`;
    await Promise.all([
      st.conn.writeFile(`${st.dir}/supervisor.sh`, SUPERVISOR_SCRIPT, 0o755, timeoutMs),
      st.conn.writeFile(`${st.dir}/teardown.sh`, TEARDOWN_SCRIPT, 0o755, timeoutMs),
      st.conn.writeFile(`${st.dir}/tether.sh`, TETHER_SCRIPT, 0o755, timeoutMs),
      st.conn.writeFile(`${st.dir}/env`, env, 0o644, timeoutMs),
    ]);
    // The tether first: from here on, a harness that dies leaves nothing running on the host.
    const tether = await st.conn.hold(`sh ${st.dir}/tether.sh ${st.dir} >/dev/null 2>&1`, timeoutMs);
    st.tether = tether;
    void tether.exited.then(() => {
      if (!ctx.stopped())
        ctx.emit(
          `${where(st)}: the SSH connection to ${st.conn.label} ended, and with it the node's tether: the host has torn the node down`,
        );
    });
    for (const [local, remote] of st.shares) await st.conn.upload(local, remote);
    if (iptables)
      await run(
        ctx,
        st,
        `${S}iptables -w -N ${chain} 2>/dev/null; ${S}iptables -w -F ${chain} && ${S}iptables -w -A ${chain} -p tcp --dport ${st.host.spec.port} -j RETURN && { ${S}iptables -w -C INPUT -j ${chain} 2>/dev/null || ${S}iptables -w -I INPUT 1 -j ${chain}; }`,
        `creating the iptables chain ${chain}`,
      );
  });
}

export async function startSupervisors(ctx: HostCtx, nodes: NodeState[]): Promise<void> {
  await onEach('starting the supervisors', nodes, async (st) => {
    const env = {
      ...st.spec.env,
      FAULTLINE_NODE_DIR: st.dir,
      ...(st.spec.sidecar ? { FAULTLINE_SIDECAR: st.spec.sidecar } : {}),
    };
    const assigns = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`);
    const line = [...st.spec.command].map(q).join(' ');
    await run(
      ctx,
      st,
      // Only the supervisor goes to the background, with no descriptor of this session open.
      `cd ${st.dir}/data || exit 1; rm -f ../ctl/stopped; env ${assigns.join(' ')} setsid sh ${st.dir}/supervisor.sh ${st.dir} ${line} >> ${st.dir}/node.log 2>&1 < /dev/null & exit 0`,
      'starting the supervisor',
    );
  });
}

/** Until every node and then the cluster says ready; a database that exited while starting fails fast. */
export async function waitReady(
  ctx: HostCtx,
  cluster: Cluster,
  deployment: Deployment,
  nodes: NodeState[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(nodes.map((st) => st.spec.name));
  const clusterReady = () =>
    deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? Promise.resolve(true);
  let lastStateCheck = 0;
  while (pending.size > 0 || !(await clusterReady())) {
    if (ctx.stopped()) throw new Error('cluster stopped while starting');
    if (signal?.aborted) throw new Error('start aborted');
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    if (Date.now() - lastStateCheck > 1000) {
      lastStateCheck = Date.now();
      for (const st of nodes.filter((n) => pending.has(n.spec.name))) {
        const s = await run(ctx, st, stateScript(st.dir), 'state');
        if (/stopped/.test(s) && !/running/.test(s))
          throw new Error(`node ${st.spec.name}'s database exited while starting`);
      }
    }
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last lines of every node's log, for an error that happened while starting. */
export async function logTails(nodes: NodeState[]): Promise<string> {
  const tails = await Promise.all(
    nodes.map(async (st) => {
      const text = await st.conn.readFile(`${st.dir}/node.log`, 5000).catch(() => '');
      return `--- ${st.spec.name} ---\n${text.split('\n').slice(-15).join('\n')}`;
    }),
  );
  return tails.join('\n');
}
