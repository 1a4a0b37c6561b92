/**
 * One SSH connection per host (ssh2), shared by everything a process does there: commands,
 * SFTP uploads and reads, the run's tether. Every command has a deadline; a connection that
 * drops (keepalives unanswered, reset, host gone) fails whatever was in flight at once with an
 * error naming the host, and the next call connects again. At most `MAX_CHANNELS` channels are
 * open per connection (sshd's MaxSessions defaults to 10); the rest wait their turn, within
 * their own deadline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';

/** One host as the harness reaches it. */
export interface HostSpec {
  host: string;
  port: number;
  user: string;
}

export interface Auth {
  /** A private key file (OpenSSH or PEM). */
  identityFile?: string;
  /** An agent socket (default $SSH_AUTH_SOCK) when no key file is given. */
  agent?: string;
  /** How long connecting (TCP, handshake, auth) may take, ms. */
  connectTimeoutMs: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const MAX_CHANNELS = 8;
export const DEFAULT_COMMAND_TIMEOUT_MS = 20_000;

export const hostLabel = (h: HostSpec) => `${h.user}@${h.host}:${h.port}`;

/** POSIX shell single-quoting. */
export const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export class HostError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(`host ${host}: ${message}`);
    this.name = 'HostError';
  }
}

export class Connection {
  readonly label: string;
  private client?: Client;
  private connecting?: Promise<Client>;
  private open = 0;
  private waiting: (() => void)[] = [];
  /** Rejecters of everything in flight on the current client (a drop fails them at once). */
  private inflight = new Set<(e: Error) => void>();
  private closed = false;
  hostKey?: string;

  constructor(
    readonly spec: HostSpec,
    private readonly auth: Auth,
  ) {
    this.label = hostLabel(spec);
  }

  private fail(message: string): HostError {
    return new HostError(this.label, message);
  }

  private connect(): Promise<Client> {
    if (this.closed) return Promise.reject(this.fail('connection closed by faultline'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= new Promise<Client>((resolve, reject) => {
      const c = new Client();
      let ready = false;
      const config: ConnectConfig = {
        host: this.spec.host,
        port: this.spec.port,
        username: this.spec.user,
        readyTimeout: this.auth.connectTimeoutMs,
        keepaliveInterval: 2000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          this.hostKey = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          return true;
        },
      };
      if (this.auth.identityFile) {
        try {
          config.privateKey = readFileSync(this.auth.identityFile);
        } catch (e) {
          reject(this.fail(`cannot read identity file ${this.auth.identityFile}: ${(e as Error).message}`));
          return;
        }
      } else {
        config.agent = this.auth.agent ?? process.env.SSH_AUTH_SOCK;
        if (!config.agent) {
          reject(this.fail('no identityFile given and no SSH agent ($SSH_AUTH_SOCK unset)'));
          return;
        }
      }
      const dropped = (why: string) => {
        if (this.client === c) this.client = undefined;
        this.connecting = undefined;
        const err = this.fail(why);
        for (const r of [...this.inflight]) r(err);
        this.inflight.clear();
        if (!ready) reject(err);
      };
      c.on('ready', () => {
        ready = true;
        this.client = c;
        this.connecting = undefined;
        resolve(c);
      });
      c.on('error', (e: Error & { level?: string }) => {
        const what =
          e.level === 'client-authentication'
            ? `authentication as ${this.spec.user} failed (${e.message})`
            : /Keepalive timeout/i.test(e.message)
              ? 'connection lost (keepalives unanswered)'
              : /Timed out while waiting for handshake/i.test(e.message)
                ? `could not connect within ${this.auth.connectTimeoutMs} ms`
                : e.message;
        dropped(ready ? `connection lost: ${what}` : `cannot connect: ${what}`);
        c.end();
      });
      c.on('close', () => dropped(ready ? 'connection closed' : 'connection closed while connecting'));
      try {
        c.connect(config);
      } catch (e) {
        // ssh2 refuses a key it cannot parse before connecting.
        this.connecting = undefined;
        reject(this.fail(`cannot connect: ${(e as Error).message}`));
      }
    });
    return this.connecting;
  }

  private async slot(deadline: number, what: string): Promise<void> {
    while (this.open >= MAX_CHANNELS) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.fail(`${what}: no free SSH channel before the deadline`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.open++;
  }

  private release(): void {
    this.open--;
    this.waiting.shift()?.();
  }

  /**
   * Runs a shell command line on the host; resolves with its exit code and output (a non-zero
   * exit is not an error here). Rejects, naming the host, when the command outlives
   * `timeoutMs` or the connection drops.
   */
  async exec(
    command: string,
    o: { timeoutMs?: number; stdin?: string; what?: string } = {},
  ): Promise<ExecResult> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const what = o.what ?? `\`${command.length > 80 ? `${command.slice(0, 77)}...` : command}\``;
    const deadline = Date.now() + timeoutMs;
    await this.slot(deadline, what);
    try {
      const client = await withDeadline(this.connect(), deadline, () =>
        this.fail(`${what}: could not connect within ${timeoutMs} ms`),
      );
      return await new Promise<ExecResult>((resolve, reject) => {
        let channel: ClientChannel | undefined;
        const done = (e?: Error, r?: ExecResult) => {
          clearTimeout(timer);
          this.inflight.delete(onDrop);
          if (e) {
            channel?.close();
            reject(e);
          } else resolve(r!);
        };
        const onDrop = (e: Error) =>
          done(new HostError(this.label, `${what}: ${e.message.replace(/^host [^:]+: /, '')}`));
        this.inflight.add(onDrop);
        const timer = setTimeout(
          () => done(this.fail(`${what} did not finish within ${timeoutMs} ms`)),
          Math.max(1, deadline - Date.now()),
        );
        client.exec(command, (err, ch) => {
          if (err) return done(this.fail(`${what}: ${err.message}`));
          channel = ch;
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => errOut.push(d));
          ch.on('close', (code: number | null, signal?: string) =>
            done(undefined, {
              code: code ?? (signal ? 128 : 255),
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(errOut).toString('utf8'),
            }),
          );
          if (o.stdin !== undefined) ch.end(o.stdin);
          else ch.end();
        });
      });
    } finally {
      this.release();
    }
  }

  /** exec that throws (with the output) unless the command exits 0; returns stdout. */
  async run(command: string, o: { timeoutMs?: number; stdin?: string; what?: string } = {}): Promise<string> {
    const r = await this.exec(command, o);
    if (r.code !== 0) {
      const said = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-5).join(' | ');
      throw this.fail(`${o.what ?? `\`${command}\``} failed (exit ${r.code})${said ? `: ${said}` : ''}`);
    }
    return r.stdout;
  }

  /**
   * A long-lived command whose stdin stays open (the run's tether): resolves once started with a
   * function that closes its stdin. Counts as one channel for as long as it runs.
   */
  async hold(command: string, timeoutMs: number): Promise<{ close(): void; exited: Promise<void> }> {
    const deadline = Date.now() + timeoutMs;
    await this.slot(deadline, 'tether');
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.release();
      }
    };
    try {
      const client = await withDeadline(this.connect(), deadline, () =>
        this.fail(`tether: could not connect within ${timeoutMs} ms`),
      );
      const ch = await new Promise<ClientChannel>((resolve, reject) =>
        client.exec(command, (err, c) => (err ? reject(this.fail(`tether: ${err.message}`)) : resolve(c))),
      );
      ch.on('data', () => {});
      ch.stderr.on('data', () => {});
      const exited = new Promise<void>((resolve) =>
        ch.on('close', () => {
          release();
          resolve();
        }),
      );
      return {
        close: () => {
          try {
            ch.end();
          } catch {}
        },
        exited,
      };
    } catch (e) {
      release();
      throw e;
    }
  }

  private async sftpSession<T>(
    what: string,
    timeoutMs: number,
    fn: (s: SFTPWrapper) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    await this.slot(deadline, what);
    let session: SFTPWrapper | undefined;
    let onDrop: ((e: Error) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const client = await withDeadline(this.connect(), deadline, () =>
        this.fail(`${what}: could not connect within ${timeoutMs} ms`),
      );
      const work = (async () => {
        session = await new Promise<SFTPWrapper>((resolve, reject) =>
          client.sftp((err, s) => (err ? reject(this.fail(`${what}: SFTP: ${err.message}`)) : resolve(s))),
        );
        return fn(session);
      })();
      const stop = new Promise<never>((_, reject) => {
        onDrop = (e) => reject(e);
        this.inflight.add(onDrop);
        timer = setTimeout(
          () => reject(this.fail(`${what} did not finish within ${timeoutMs} ms`)),
          Math.max(1, deadline - Date.now()),
        );
      });
      work.catch(() => {});
      return await Promise.race([work, stop]);
    } finally {
      clearTimeout(timer);
      if (onDrop) this.inflight.delete(onDrop);
      try {
        session?.end();
      } catch {}
      this.release();
    }
  }

  /** Uploads a local file or directory (recursively) to `remote` (created; contents replaced). */
  async upload(local: string, remote: string, timeoutMs = 120_000): Promise<void> {
    await this.sftpSession(`upload of ${local}`, timeoutMs, async (s) => {
      const mkdir = (p: string) =>
        new Promise<void>((resolve, reject) =>
          s.mkdir(p, (e) => (e && (e as { code?: number }).code !== 4 ? reject(e) : resolve())),
        );
      const put = (from: string, to: string, mode: number) =>
        new Promise<void>((resolve, reject) =>
          s.fastPut(from, to, { mode }, (e) =>
            e ? reject(this.fail(`upload of ${from}: ${e.message}`)) : resolve(),
          ),
        );
      const walk = async (from: string, to: string): Promise<void> => {
        const st = await lstat(from);
        if (st.isDirectory()) {
          await mkdir(to);
          const entries = await readdir(from);
          // A few files at a time: one SFTP session, bounded concurrency.
          for (let i = 0; i < entries.length; i += 8)
            await Promise.all(entries.slice(i, i + 8).map((e) => walk(join(from, e), `${to}/${e}`)));
        } else if (st.isFile()) await put(from, to, st.mode & 0o777);
        // Symbolic links and special files are not copied.
      };
      await walk(local, remote);
    });
  }

  /** Writes `content` to a remote file (mode 0644 unless given). */
  async writeFile(
    remote: string,
    content: string,
    mode = 0o644,
    timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ): Promise<void> {
    await this.sftpSession(
      `writing ${remote}`,
      timeoutMs,
      (s) =>
        new Promise<void>((resolve, reject) =>
          s.writeFile(remote, content, { mode }, (e) =>
            e ? reject(this.fail(`writing ${remote}: ${e.message}`)) : resolve(),
          ),
        ),
    );
  }

  /** Reads a remote file ('' when it does not exist). */
  async readFile(remote: string, timeoutMs = 60_000): Promise<string> {
    return this.sftpSession(
      `reading ${remote}`,
      timeoutMs,
      (s) =>
        new Promise<string>((resolve, reject) =>
          s.readFile(remote, (e, data) => {
            if (!e) resolve(data.toString('utf8'));
            else if ((e as { code?: number }).code === 2) resolve('');
            else reject(this.fail(`reading ${remote}: ${e.message}`));
          }),
        ),
    );
  }

  /** Ends the connection; later calls connect again unless `final`. */
  close(final = false): void {
    if (final) this.closed = true;
    const c = this.client;
    this.client = undefined;
    this.connecting = undefined;
    c?.end();
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, err: () => Error): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(err()), Math.max(1, deadline - Date.now()));
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * The process's connections, one per host (user@host:port). `closeAll` ends them (at stop, so
 * a harness leaves nothing open).
 */
export class ConnectionPool {
  private readonly byKey = new Map<string, Connection>();
  constructor(private readonly auth: Auth) {}
  get(spec: HostSpec): Connection {
    const key = hostLabel(spec);
    let c = this.byKey.get(key);
    if (!c) {
      c = new Connection(spec, this.auth);
      this.byKey.set(key, c);
    }
    return c;
  }
  closeAll(): void {
    for (const c of this.byKey.values()) c.close();
    this.byKey.clear();
  }
}
