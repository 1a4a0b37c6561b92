/**
 * PostgreSQL as a faultline target, written by a user against faultline's public API only:
 * one primary (n1) and asynchronous streaming replicas (n2, ...), Debian's PostgreSQL 15
 * binaries. Reads go to the primary or to a replica (`readFrom`); writes and compare-and-set
 * always go to the primary.
 *
 * Everything a target says is here: its options (zod), the ports a node serves, how each
 * node runs (`deploy`: a shell line that initialises the data directory once, then execs the
 * server, so the supervised process is the postmaster and the kill fault kills the database),
 * when a node is ready, the client for each workload protocol it speaks (`register-client.ts`),
 * who the primary is, and the faults it cannot take.
 */
import { type ClusterNode, defineTarget, type NodeSlot } from 'faultline';
import pg from 'pg';
import { z } from 'zod';
import { openRegisterClient } from './register-client.js';

const options = z
  .object({
    readFrom: z
      .enum(['primary', 'replica'])
      .default('primary')
      .describe('which node serves reads: the primary, or a streaming replica (may be stale)'),
    binDir: z
      .string()
      .default('/usr/lib/postgresql/15/bin')
      .describe('directory of initdb, pg_basebackup and postgres on the node'),
  })
  .strict();

export type PostgresOptions = z.infer<typeof options>;

/**
 * initdb and postgres refuse to run as root. Where the node runs as root (the Docker runtime's
 * containers, or a harness run by root), they run as nobody (uid/gid 65534, setpriv from
 * util-linux) and get the data directory first; otherwise they run as the node's own user.
 * Under libfaketime (clock faults: LD_PRELOAD set by the runtime), the privilege drop happens
 * outside it: libfaketime shares a semaphore with child processes (FAKETIME_SHARED) that only
 * its creator, root here, may open, so nobody's server loads libfaketime afresh.
 */
const AS_SERVER = [
  "AS=''; OWN=true",
  'if [ "$(id -u)" = 0 ]; then',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
  '  AS="env -u LD_PRELOAD -u FAKETIME_SHARED setpriv --reuid=65534 --regid=65534 --clear-groups env ${LD_PRELOAD:+LD_PRELOAD=$LD_PRELOAD}"',
  "  OWN='chown 65534:65534'",
  'fi',
].join('\n');

/** A word for `sh -c`, single-quoted. */
const q = (s: string | number) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** The server's settings, the same on every node. */
function serverArgs(slot: NodeSlot): string[] {
  const settings = {
    listen_addresses: slot.host,
    port: slot.ports.pg,
    // TCP only: no socket in /var/run/postgresql, which the node's image may not have.
    unix_socket_directories: '',
    wal_level: 'replica',
    hot_standby: 'on',
    max_wal_senders: 10,
    // A replica retries its primary quickly after the primary is killed or partitioned away.
    wal_retrieve_retry_interval: '200ms',
    shared_buffers: '32MB',
  };
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/**
 * The node's command: create the data directory on the first start (initdb on the primary,
 * a base backup of the primary on a replica), and on every start wait until the processes of
 * a killed server are gone (a postmaster killed with SIGKILL leaves its backends to notice
 * and exit; a new one refuses to start while they hold the old shared memory), then exec the
 * server, so the supervised pid is the postmaster's.
 */
function nodeScript(o: PostgresOptions, slot: NodeSlot, primary: NodeSlot | undefined): string {
  const bin = (name: string) => q(`${o.binDir}/${name}`);
  const D = q(`${slot.dataDir}/pg`);
  const done = q(`${slot.dataDir}/pg.initialised`);
  const fresh = `rm -rf ${D} && mkdir -p ${D} && $OWN ${D} && chmod 700 ${D}`;
  let init: string[];
  if (primary) {
    // The replica's way to the primary: the runtime may route node-to-node traffic per pair
    // (the local runtime's fault proxy), else the primary's own address.
    const [host, port] = (slot.peer?.(primary.name, 'pg') ?? `${primary.host}:${primary.ports.pg}`).split(
      ':',
    );
    init = [
      // The primary may still be starting: retry the base backup until it answers. -R makes
      // this node a standby that streams from the primary (standby.signal, primary_conninfo).
      `until ${fresh} && $AS ${bin('pg_basebackup')} -h ${q(host!)} -p ${q(port!)} -U postgres -D ${D} -R -X stream -c fast; do sleep 0.5; done`,
    ];
  } else {
    init = [
      fresh,
      `$AS ${bin('initdb')} -D ${D} -U postgres --auth=trust -E UTF8 --locale=C --no-sync`,
      // Trust on the run's private network: clients and the replica's replication connection.
      `printf 'host all all 0.0.0.0/0 trust\\nhost replication all 0.0.0.0/0 trust\\n' >> ${D}/pg_hba.conf`,
      // The register table, created once before any client connects (no racing DDL).
      `echo 'CREATE TABLE registers (key text PRIMARY KEY, value jsonb);' | $AS ${bin('postgres')} --single -D ${D} postgres >/dev/null`,
    ];
  }
  // After a kill: the old server's shared memory (its id is on line 7 of postmaster.pid) is
  // still attached while its backends notice their postmaster died and exit.
  const shmInUse = `shm_in_use() { id=$(awk 'NR == 7 { print $2 }' ${D}/postmaster.pid 2>/dev/null); [ -n "$id" ] && awk -v id="$id" '$2 == id && $7 > 0 { f = 1 } END { exit !f }' /proc/sysvipc/shm; }`;
  // Run by root, the server is nobody, who must be able to enter every directory above its data.
  const reachable = `if [ -n "$AS" ] && ! $AS test -x ${q(slot.dataDir)}; then echo ${q(`postgres example: PostgreSQL runs as nobody (uid 65534) when the harness is root, and nobody cannot enter ${slot.dataDir}: put the run's reports in a directory others may enter (chmod o+x on each level above it)`)} >&2; exit 1; fi`;
  return [
    'set -e',
    AS_SERVER,
    reachable,
    `if [ ! -e ${done} ]; then`,
    ...init.map((line) => `  ${line}`),
    `  touch ${done}`,
    'fi',
    shmInUse,
    'i=0; while [ $i -lt 200 ] && shm_in_use; do sleep 0.05; i=$((i+1)); done',
    `exec $AS ${bin('postgres')} -D ${D} ${serverArgs(slot).map(q).join(' ')}`,
  ].join('\n');
}

/** A short-lived connection for readiness and version checks. */
async function ask<T>(node: ClusterNode, sql: string, timeoutMs = 1000): Promise<T | undefined> {
  const client = new pg.Client({
    host: node.host,
    port: node.ports.pg,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query(sql);
    return result.rows[0] as T;
  } catch {
    return undefined;
  } finally {
    void client.end().catch(() => {});
  }
}

export default defineTarget<PostgresOptions>({
  name: 'postgres',
  description: 'PostgreSQL 15: a primary and asynchronous streaming replicas (an example of a user target)',
  options,
  topologies: ['primary-replica'],
  defaultTopology: 'primary-replica',
  defaultNodes: () => 2,
  checkNodes: (_, n) => (n < 2 ? `postgres: a primary and at least one replica (got ${n} node)` : undefined),
  ports: () => ({ pg: 5432 }),
  deploy(o, ctx, slots) {
    const primary = slots[0]!;
    const replicas = slots.length - 1;
    return {
      nodes: slots.map((slot, i) => ({
        name: slot.name,
        role: i === 0 ? 'primary' : 'replica',
        command: ['/bin/sh', '-c', nodeScript(o, slot, i === 0 ? undefined : primary)],
        // PostgreSQL reads the clock through libc, which libfaketime intercepts.
        fakeClock: ctx.faults.includes('clock'),
      })),
      info: { readFrom: o.readFrom, replication: 'asynchronous streaming', binDir: o.binDir },
      version: async (node) =>
        (await ask<{ server_version: string }>(node, 'SHOW server_version'))?.server_version ?? 'unknown',
      // Up and in the right role: the primary accepts writes, a replica is in recovery.
      ready: async (node) => {
        const row = await ask<{ standby: boolean }>(node, 'SELECT pg_is_in_recovery() AS standby');
        return row !== undefined && row.standby === (node.role === 'replica');
      },
      // Every replica streams from the primary before the workload starts.
      clusterReady: async (nodes) => {
        const first = nodes.find((n) => n.role === 'primary');
        if (!first) return false;
        const row = await ask<{ streaming: number }>(
          first,
          "SELECT count(*)::int AS streaming FROM pg_stat_replication WHERE state = 'streaming'",
        );
        return (row?.streaming ?? 0) >= replicas;
      },
    };
  },
  clients: { register: openRegisterClient },
  // No automatic failover here: the primary stays n1 for the whole run.
  primaries: async (cluster) => cluster.nodes.filter((n) => n.role === 'primary').map((n) => n.name),
});
