/**
 * `faultline run`'s flags: the generic ones (mirroring the config schema's top-level fields)
 * and those made from every target's, workload's and runtime's options schema. No generic
 * flag has a commander default: defaults come from the schema, so a flag overrides a config
 * file only when given.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { WORKLOADS } from '../../workloads/index.js';
import { type FlagSource, generateFlags } from '../config/flags.js';
import { FAMILIES } from '../nemesis/registry.js';
import { PARTITION_KINDS } from '../nemesis/types.js';
import { DEFAULT_RUNTIME, RUNTIMES } from '../runtime/registry.js';
import { TARGETS } from '../targets/index.js';

const number =
  (what: string, ok: (n: number) => boolean) =>
  (text: string): number => {
    const n = Number(text);
    if (!ok(n)) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
const int = (min: number) => number(`an integer ≥ ${min}`, (n) => Number.isInteger(n) && n >= min);
const positive = number('a positive number', (n) => Number.isFinite(n) && n > 0);
const nonNegative = number('a number ≥ 0', (n) => Number.isFinite(n) && n >= 0);

/** Config fields that generic flags set (the same names, camelCase). */
export const GENERIC_KEYS = [
  'target',
  'topology',
  'nodes',
  'workload',
  'runtime',
  'concurrency',
  'timeLimit',
  'rate',
  'seed',
  'opTimeout',
  'reports',
  'nemesis',
  'nemesisInterval',
  'recoveryTime',
  'partitions',
  'clockOffset',
  'check',
] as const;

const names = (o: object) => Object.keys(o).join(', ');

function genericOptions(): Option[] {
  const families = FAMILIES.map((f) => f.name).join(', ');
  return [
    new Option('--config <file>', 'a config file (.ts, .mts, .js, .mjs); flags override its fields'),
    new Option('-t, --target <name>', `database to test: ${names(TARGETS)} (default kvstore)`),
    new Option(
      '--topology <name>',
      "the target's topology (etcd: cluster; redis: single, replicas, sentinel)",
    ),
    new Option('--nodes <n>', "number of nodes (default: the target's)").argParser(int(1)),
    new Option('-w, --workload <name>', `workload: ${names(WORKLOADS)} (default register)`),
    new Option('--runtime <name>', `where nodes run: ${names(RUNTIMES)} (default ${DEFAULT_RUNTIME})`),
    new Option('--time-limit <s>', 'seconds of workload (default 30)').argParser(positive),
    new Option('-c, --concurrency <n>', 'client workers (default 10)').argParser(int(1)),
    new Option('--rate <ops/s>', 'total operations per second, 0 unlimited (default 0)').argParser(
      nonNegative,
    ),
    new Option('--seed <n>', 'random seed (default: random, printed)').argParser(int(0)),
    new Option('--op-timeout <ms>', 'per-operation timeout (default 2000)').argParser(positive),
    new Option('--reports <dir>', 'where runs land (default reports)'),
    new Option(
      '--nemesis <families>',
      `faults to inject, comma-separated: ${families} (default: partition,kill,clock every ~5 s on the kvstore when no config file is given; none otherwise)`,
    ),
    new Option(
      '--nemesis-interval <s>',
      'mean seconds between fault starts and mean fault length (default 10)',
    ).argParser(positive),
    new Option(
      '--recovery-time <s>',
      'quiet seconds after the final heal, before the final reads (default 10)',
    ).argParser(nonNegative),
    new Option(
      '--partitions <shapes>',
      `partition shapes to draw from (default all: ${PARTITION_KINDS.join(', ')})`,
    ),
    new Option('--clock-offset <s>', 'largest clock skew in seconds (default 60)').argParser(positive),
    new Option('--no-check', 'record only; do not run the checkers'),
    new Option('--json', 'print a JSON summary line on stdout'),
  ];
}

/** Adds every flag to `command`; returns the generated ones (to sort given values by owner). */
export function registerRunFlags(command: Command, sources: readonly FlagSource[]) {
  const generic = genericOptions();
  for (const option of generic) command.addOption(option);
  const taken = new Set(generic.map((o) => o.attributeName()));
  const { options, flags } = generateFlags(sources, taken);
  for (const option of options) command.addOption(option);
  // Flags of a config's own target are known only once the file is read (cli/run.ts parses
  // what is left then, and refuses anything still unknown).
  command.allowUnknownOption().allowExcessArguments();
  command.addHelpText(
    'after',
    '\nTarget, workload and runtime flags above are named "owner: what"; each applies to its owner only.\n' +
      'Each yes/no one comes as a pair, --x and --no-x; either overrides a config file.\n' +
      'A config file takes the same fields in camelCase, with targetOptions, workloadOptions and runtimeOptions.',
  );
  return flags;
}
