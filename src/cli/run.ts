/**
 * `faultline run`: bring a target up in Docker, run a workload against it, record the history
 * to reports/<run>/, tear down (always: also on Ctrl-C, SIGTERM or a crash), check, and exit
 * with the verdict (0 valid, 1 invalid, 2 unknown, 254 bad arguments, 255 crash).
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { WORKLOADS } from '../../workloads/index.js';
import { parseMix } from '../../workloads/register.js';
import { exitCodeFor } from '../checker/types.js';
import {
  checkPlan,
  checkTargetSupports,
  DEFAULT_NEMESIS_INTERVAL_S,
  DEFAULT_RECOVERY_S,
  runNemesisFor,
} from '../nemesis/plan.js';
import { parseFamilies } from '../nemesis/schedule.js';
import { PARTITION_KINDS, type PartitionKind } from '../nemesis/types.js';
import { randomSeed } from '../runner/rng.js';
import { type Progress, type RunOptions, run, validateRunOptions } from '../runner/run.js';
import { UnsupportedFaultError } from '../runtime/cluster.js';
import { destroyAllClusters } from '../runtime/docker/cluster.js';
import { engineStatus } from '../runtime/docker/engine.js';
import { parseCidr } from '../runtime/docker/network.js';
import { TARGETS } from '../targets/index.js';
import { EXIT, UsageError } from './exit.js';

const int =
  (what: string, min = 0) =>
  (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer ≥ ${min} (${what})`);
    return n;
  };
const positive = (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
};
const nonNegative = (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
};

interface RunFlags {
  target: string;
  topology?: string;
  nodes?: number;
  workload: string;
  timeLimit: number;
  concurrency: number;
  rate: number;
  seed?: number;
  opTimeout: number;
  reports: string;
  subnet?: string;
  image?: string;
  serializable?: boolean;
  preVote: boolean;
  replicas?: number;
  readQuorum?: number;
  writeQuorum?: number;
  readRepair?: boolean;
  replicationDelay?: number;
  keys?: number;
  opsPerKey?: number;
  mix?: string;
  check: boolean;
  json?: boolean;
  nemesis?: string;
  nemesisInterval: number;
  recoveryTime: number;
  partitions?: string;
  clockOffset?: number;
}

export function runOptionsFromFlags(flags: RunFlags): RunOptions {
  const targetOptions: Record<string, unknown> = {};
  const clientOptions: Record<string, unknown> = {};
  if (flags.target === 'etcd') {
    targetOptions.preVote = flags.preVote;
    if (flags.serializable) {
      clientOptions.serializable = true;
      targetOptions.serializable = true;
    }
  } else if (flags.serializable) throw new UsageError('--serializable applies to --target etcd only');
  const kv = { replicas: flags.replicas, readQuorum: flags.readQuorum, writeQuorum: flags.writeQuorum };
  const kvGiven =
    Object.values(kv).some((v) => v !== undefined) || flags.readRepair || flags.replicationDelay;
  if (kvGiven && flags.target !== 'kvstore') {
    throw new UsageError(
      '--replicas, --read-quorum, --write-quorum, --read-repair, --replication-delay apply to --target kvstore only',
    );
  }
  if (flags.target === 'kvstore') {
    for (const [k, v] of Object.entries(kv)) if (v !== undefined) targetOptions[k] = v;
    if (flags.readRepair) targetOptions.readRepair = true;
    if (flags.replicationDelay !== undefined) targetOptions.replicationDelayMs = flags.replicationDelay;
  }
  const workloadOptions: Record<string, unknown> = {};
  if (flags.keys !== undefined) workloadOptions.keys = flags.keys;
  if (flags.opsPerKey !== undefined) workloadOptions.opsPerKey = flags.opsPerKey;
  if (flags.mix !== undefined) {
    try {
      workloadOptions.mix = parseMix(flags.mix);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const options: RunOptions = {
    target: flags.target,
    topology: flags.topology,
    nodes: flags.nodes,
    targetOptions,
    clientOptions,
    workload: flags.workload,
    workloadOptions,
    concurrency: flags.concurrency,
    rate: flags.rate,
    timeLimitS: flags.timeLimit,
    seed: flags.seed ?? randomSeed(),
    opTimeoutMs: flags.opTimeout,
    reportsDir: flags.reports,
    subnet: flags.subnet,
    image: flags.image,
    check: flags.check,
  };
  if (flags.nemesis !== undefined) {
    try {
      const families = parseFamilies(flags.nemesis);
      const kinds = flags.partitions?.split(',').map((k) => k.trim()) ?? [];
      for (const k of kinds) {
        if (!(PARTITION_KINDS as readonly string[]).includes(k))
          throw new Error(`--partitions: unknown shape "${k}" (known: ${PARTITION_KINDS.join(', ')})`);
      }
      options.nemesis = runNemesisFor(
        {
          families,
          intervalS: flags.nemesisInterval,
          recoveryS: flags.recoveryTime,
          choices: {
            ...(kinds.length ? { partitionKinds: kinds as PartitionKind[] } : {}),
            ...(flags.clockOffset !== undefined
              ? {
                  clock: {
                    targets: ['one', 'minority'],
                    modes: ['bump', 'strobe'],
                    maxOffsetS: flags.clockOffset,
                  },
                }
              : {}),
          },
        },
        { timeLimitS: flags.timeLimit, onEvent: (m) => process.stderr.write(`faultline: ${m}\n`) },
      );
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else if (flags.partitions !== undefined || flags.clockOffset !== undefined) {
    throw new UsageError('--partitions and --clock-offset need --nemesis');
  }
  try {
    if (options.subnet !== undefined) parseCidr(options.subnet);
    validateRunOptions(options);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return options;
}

function progressLine(p: Progress): string {
  const { ok, fail, info } = p.counts;
  return `[${p.phase}] ${p.elapsedS.toFixed(0)} s  ${p.opsPerS.toFixed(0)} ops/s  ok ${ok}  fail ${fail}  info ${info}`;
}

export async function runCommand(flags: RunFlags): Promise<number> {
  const options = runOptionsFromFlags(flags);
  if (options.nemesis) {
    // A fault the target cannot take, or a nemesis that cannot be drawn for this many nodes,
    // fails here, before any container starts.
    const target = TARGETS[options.target]!;
    const topology = options.topology ?? target.defaultTopology;
    try {
      await checkTargetSupports(
        target,
        topology,
        options.nodes,
        options.nemesis.families,
        options.targetOptions,
      );
    } catch (e) {
      if (e instanceof UnsupportedFaultError) throw new UsageError(e.message);
      throw e;
    }
    try {
      const plan = options.nemesis.plan;
      if (plan) {
        const { faults } = checkPlan(
          plan,
          options.nodes ?? target.defaultNodes(topology),
          options.timeLimitS,
        );
        if (faults === 0) {
          process.stderr.write(
            `faultline: warning: --nemesis-interval ${plan.intervalS} s is long for a ${options.timeLimitS} s run: likely no fault will start (the first comes after about one interval)\n`,
          );
        }
      }
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const engine = await engineStatus();
  if (!engine.ok) {
    process.stderr.write(`faultline: ${engine.reason}\n`);
    return EXIT.crash;
  }
  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  let lastPhase = '';
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nfaultline: ${signal}: stopping the run, tearing down (again to force)\n`);
      controller.abort();
    } else {
      process.stderr.write(`\nfaultline: ${signal} again: removing containers now\n`);
      void destroyAllClusters().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onCrash = (e: unknown) => {
    process.stderr.write(`faultline: internal error: ${(e as Error)?.message ?? e}\n`);
    void destroyAllClusters().finally(() => process.exit(EXIT.crash));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    process.stderr.write(`faultline: run ${options.target} seed ${options.seed}\n`);
    const result = await run({
      ...options,
      signal: controller.signal,
      onEvent: (m) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}faultline: ${m}\n`),
      onProgress: (p) => {
        const now = performance.now();
        if (tty) process.stderr.write(`\r\x1b[K${progressLine(p)}`);
        else if (now - lastPrinted > 5000 || p.phase !== lastPhase) {
          // Not a terminal: a line at every change of phase, and every 5 s within one.
          process.stderr.write(`${progressLine(p)}\n`);
          lastPrinted = now;
          lastPhase = p.phase;
        }
      },
    });
    if (tty) process.stderr.write('\n');
    const verdict = result.valid === true ? 'VALID' : result.valid === false ? 'INVALID' : 'UNKNOWN';
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ runId: result.runId, dir: result.dir, valid: result.valid, interrupted: result.interrupted, counts: result.counts })}\n`,
      );
    } else {
      for (const [name, r] of Object.entries(result.results ?? {})) {
        const summary = typeof r.summary === 'string' ? r.summary : '';
        process.stdout.write(
          `${name}: ${r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown'}${summary ? ` — ${summary}` : ''}\n`,
        );
      }
      process.stdout.write(
        `${options.check === false ? 'NOT CHECKED' : verdict}${result.interrupted ? ' (interrupted)' : ''}: ${result.dir}\n`,
      );
      const page = join(result.dir, 'index.html');
      if (existsSync(page)) process.stdout.write(`report: ${page}\n`);
    }
    return options.check === false ? EXIT.valid : exitCodeFor(result.valid);
  } catch (e) {
    // The running cluster cannot do a fault (e.g. latency without netem): refused before the workload.
    if (e instanceof UnsupportedFaultError) throw new UsageError(e.message);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a workload against a real cluster in Docker, record the history, check it')
    .addOption(
      new Option(
        '-t, --target <name>',
        "database to test (default: kvstore, faultline's own reference store)",
      )
        .choices(Object.keys(TARGETS))
        .default('kvstore'),
    )
    .option('--topology <name>', 'etcd: cluster; redis: single | replicas | sentinel; kvstore: leaderless')
    .option(
      '--nodes <n>',
      'number of nodes (default per target: etcd 3, redis single 1 / others 3, kvstore 3)',
      int('nodes', 1),
    )
    .addOption(
      new Option('-w, --workload <name>', 'workload').choices(Object.keys(WORKLOADS)).default('register'),
    )
    .option('--time-limit <s>', 'seconds of workload', positive, 30)
    .option('-c, --concurrency <n>', 'client workers', int('concurrency', 1), 10)
    .option('--rate <ops/s>', 'total operations per second (0: unlimited)', nonNegative, 0)
    .option('--seed <n>', 'random seed (default: random, printed)', int('seed'))
    .option('--op-timeout <ms>', 'per-operation timeout', positive, 2000)
    .option('--reports <dir>', 'where runs land', 'reports')
    .option(
      '--subnet <cidr>',
      "subnet for the run's bridge network (default: a free /24 of 10.213.0.0/16, or FAULTLINE_SUBNET_POOL)",
    )
    .option(
      '--image <name>',
      'run this (local) image instead of faultline-base; fewer faults are then possible',
    )
    .option('--serializable', "etcd: serializable reads (a member's local state) instead of linearizable")
    .option('--no-pre-vote', 'etcd: turn Raft pre-vote off')
    .option('--replicas <n>', 'kvstore: N, replicas per key (default: all nodes)', int('replicas', 1))
    .option('--read-quorum <n>', 'kvstore: R (default: majority of N)', int('read-quorum', 1))
    .option('--write-quorum <n>', 'kvstore: W (default: majority of N)', int('write-quorum', 1))
    .option('--read-repair', 'kvstore: repair stale replicas after reads')
    .option('--replication-delay <ms>', 'kvstore: added latency between replicas', int('replication-delay'))
    .option('--keys <n>', 'register: keys in use at once (default concurrency/2)', int('keys', 1))
    .option('--ops-per-key <n>', 'register: operations before a key retires', int('ops-per-key', 1))
    .option('--mix <r,w,cas>', 'register: weights of read, write, cas (default 2,1,1)')
    .option(
      '--nemesis <families>',
      'faults to inject, comma-separated: partition, kill, pause, clock, loss, latency',
    )
    .option(
      '--nemesis-interval <s>',
      'mean seconds between fault starts (and mean fault length)',
      positive,
      DEFAULT_NEMESIS_INTERVAL_S,
    )
    .option(
      '--recovery-time <s>',
      'quiet seconds after the final heal, before the final reads',
      nonNegative,
      DEFAULT_RECOVERY_S,
    )
    .option(
      '--partitions <shapes>',
      `partition shapes to draw from (default all: ${PARTITION_KINDS.join(', ')})`,
    )
    .option('--clock-offset <s>', 'largest clock skew in seconds (default 60)', positive)
    .option('--no-check', 'record only; do not run the checkers')
    .option('--json', 'print a JSON summary line on stdout')
    .action(async (flags: RunFlags) => {
      process.exitCode = await runCommand(flags);
    });
}
