/**
 * The `register` protocol on PostgreSQL with node-postgres (`pg`): one row per key in
 * `registers(key text primary key, value jsonb)`.
 *
 *   read   SELECT value, on the primary or on a replica (the target's `readFrom`)
 *   write  INSERT ... ON CONFLICT (key) DO UPDATE: an upsert, on the primary
 *   cas    UPDATE ... WHERE key = $1 AND value = $from; from null (no row yet, or a JSON
 *          null): INSERT ... ON CONFLICT DO UPDATE ... WHERE value = 'null'. One row changed
 *          is ok; none is a definite `fail` (cas-mismatch).
 *
 * Every outcome is classified, as faultline's clients must:
 *   - no connection (refused, unreachable, no answer before the deadline, the server still
 *     starting): nothing of the operation was sent, so `fail`;
 *   - the server answered the statement with an ERROR (severity ERROR: the statement's
 *     transaction was rolled back, e.g. a statement_timeout cancel): `fail`;
 *   - after the statement was sent, a timeout, a lost connection or a FATAL/PANIC ending the
 *     session: the write may or may not have committed, so `info`;
 *   - a read that does not complete is always `fail` (a read changes nothing).
 * Each call is bounded by the per-operation timeout: connecting (connectionTimeoutMillis)
 * and the statement (query_timeout on the client, statement_timeout on the server) share one
 * deadline. A connection that saw any error is dropped and the next operation opens a new one.
 */
import {
  type Client,
  type ClientFactory,
  type ClusterNode,
  type Completion,
  encodeValue,
  errorCompletion,
  type RegisterOp,
  type Value,
} from 'faultline';
import pg from 'pg';
import type { PostgresOptions } from './postgres.js';

const SQL = {
  read: 'SELECT value FROM registers WHERE key = $1',
  write:
    'INSERT INTO registers (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
  cas: 'UPDATE registers SET value = $3::jsonb WHERE key = $1 AND value = $2::jsonb',
  casFromNull:
    "INSERT INTO registers (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE registers.value = 'null'::jsonb",
};

/** Thrown when no connection could be opened: the operation was never sent. */
class NotConnected extends Error {}

/** One lazily opened connection to one node, replaced after any error. */
class Connection {
  private client: pg.Client | undefined;

  constructor(
    readonly node: ClusterNode,
    private readonly timeoutMs: number,
  ) {}

  /** The open connection, or a new one opened before `deadline`. */
  async get(deadline: number): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      host: this.node.host,
      port: this.node.ports.pg,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: Math.max(1, deadline - Date.now()),
      // The server cancels a statement that runs too long (an ERROR: a definite failure).
      statement_timeout: this.timeoutMs,
      keepAlive: true,
    });
    // Errors on an idle connection (the server was killed) arrive as events: drop it.
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (e) {
      this.drop(client);
      throw new NotConnected(describe(e));
    }
    this.client = client;
    return client;
  }

  /** Closes a connection without waiting for the server (which may be paused). */
  drop(client = this.client): void {
    if (!client) return;
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => {});
  }
}

/** `code message`, short, for the history's error field. */
function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const text = `${err.code ? `${err.code} ` : ''}${err.message ?? String(e)}`;
  return text.replace(/\s+/g, ' ').slice(0, 80);
}

function classify(readOnly: boolean, e: unknown): Completion {
  if (e instanceof NotConnected) return errorCompletion(readOnly, true, `not-connected: ${e.message}`);
  // The server's answer to the statement. ERROR: rolled back, nothing applied. FATAL and
  // PANIC end the session at a point we cannot see, so the write's fate is unknown.
  if (e instanceof pg.DatabaseError) return errorCompletion(readOnly, e.severity === 'ERROR', describe(e));
  // Timeouts and connections lost with the statement in flight.
  return errorCompletion(readOnly, false, describe(e));
}

export const openRegisterClient: ClientFactory<PostgresOptions, RegisterOp> = async (ctx) => {
  const primary = ctx.cluster.nodes.find((n) => n.role === 'primary');
  const replicas = ctx.cluster.nodes.filter((n) => n.role === 'replica');
  if (!primary) throw new Error('postgres: no primary node in the cluster');
  const reader = ctx.options.readFrom === 'replica' ? replicas[ctx.worker % replicas.length] : primary;
  if (!reader) throw new Error('postgres: readFrom replica, but the cluster has no replica');

  const writes = new Connection(primary, ctx.timeoutMs);
  const reads = reader === primary ? writes : new Connection(reader, ctx.timeoutMs);
  // The node of the latest operation: reads and writes may go to different nodes.
  let node = primary.name;

  const statement = (op: RegisterOp): { conn: Connection; text: string; values: string[] } => {
    const key = String(op.key);
    switch (op.f) {
      case 'read':
        return { conn: reads, text: SQL.read, values: [key] };
      case 'write':
        return { conn: writes, text: SQL.write, values: [key, encodeValue(op.value)] };
      case 'cas': {
        const [from, to] = op.value;
        return from === null
          ? { conn: writes, text: SQL.casFromNull, values: [key, encodeValue(to)] }
          : { conn: writes, text: SQL.cas, values: [key, encodeValue(from), encodeValue(to)] };
      }
    }
  };

  /** The completion of a statement that ran. */
  const completion = (op: RegisterOp, result: pg.QueryResult): Completion => {
    switch (op.f) {
      case 'read': {
        // jsonb arrives parsed; no row is the register's initial nil.
        const row = result.rows[0] as { value: Value } | undefined;
        return { type: 'ok', value: row === undefined ? null : row.value };
      }
      case 'write':
        return { type: 'ok', value: op.value };
      case 'cas':
        return result.rowCount === 1
          ? { type: 'ok', value: op.value }
          : { type: 'fail', value: op.value, error: 'cas-mismatch' };
    }
  };

  const client: Client<RegisterOp> = {
    get node() {
      return node;
    },
    boundedByTimeout: true,
    async invoke(op) {
      const deadline = Date.now() + ctx.timeoutMs;
      const { conn, text, values } = statement(op);
      node = conn.node.name;
      let db: pg.Client | undefined;
      try {
        db = await conn.get(deadline);
        // node-postgres takes a per-query query_timeout (its type declarations lack it).
        const query: pg.QueryConfig & { query_timeout: number } = {
          text,
          values,
          query_timeout: Math.max(1, deadline - Date.now()),
        };
        return completion(op, await db.query(query));
      } catch (e) {
        // A statement the server refused with an ERROR leaves the session usable; anything else
        // (a timeout with the statement still running, a lost connection) ends it.
        if (db && !(e instanceof pg.DatabaseError && e.severity === 'ERROR')) conn.drop(db);
        return classify(op.f === 'read', e);
      }
    },
    async close() {
      writes.drop();
      reads.drop();
    },
  };
  return client;
};
