/**
 * Yes/no flags made from options schemas: every boolean field, with or without a default,
 * comes as `--x` and `--no-x`; either overrides a config file; `--no-` before anything else
 * is refused by name.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../../src/cli/exit.js';
import { flagSources, prepareRun } from '../../src/cli/run.js';
import { registerRunFlags } from '../../src/cli/run-flags.js';
import { collectFlags, generateFlags } from '../../src/config/flags.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-flags-'));
const root = resolve(import.meta.dirname, '..', '..');

function configFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

async function prepared(args: string[]) {
  const cmd = new Command('run').exitOverride().configureOutput({ writeErr: () => {} });
  const generated = registerRunFlags(cmd, flagSources());
  cmd.parse(args, { from: 'user' });
  return prepareRun(cmd, generated);
}

const schema = z.object({
  maybe: z.boolean().optional().describe('an override'),
  on: z.boolean().default(true).describe('on unless told'),
  off: z.boolean().default(false).describe('off unless told'),
  count: z.number().int().default(3).describe('how many'),
});
const owner = { kind: 'target' as const, name: 'toy' };

/** What `args` set, through generateFlags, commander and collectFlags, as the run command does. */
function parsed(args: string[]) {
  const cmd = new Command('t').exitOverride().configureOutput({ writeErr: () => {} });
  const { options, flags } = generateFlags([{ ...owner, schema }], new Set());
  for (const option of options) cmd.addOption(option);
  cmd.parse(args, { from: 'user' });
  const given = (key: string) => (cmd.getOptionValueSource(key) === 'cli' ? cmd.opts()[key] : undefined);
  return collectFlags(flags, given, [owner]).target;
}

describe('generated yes/no flags', () => {
  it('every boolean field has --x and --no-x, whatever its default; an absent flag sets nothing', () => {
    expect(parsed([])).toEqual({});
    expect(parsed(['--maybe', '--on', '--off'])).toEqual({ maybe: true, on: true, off: true });
    expect(parsed(['--no-maybe', '--no-on', '--no-off'])).toEqual({ maybe: false, on: false, off: false });
    expect(parsed(['--maybe', '--no-maybe'])).toEqual({ maybe: false }); // the last one wins
    expect(parsed(['--count', '5'])).toEqual({ count: 5 });
  });

  it('refuses --no- before a flag that takes a value, and a --no- nobody defines', () => {
    expect(() => parsed(['--no-count'])).toThrow(
      '--no-count: --count takes a value; only a yes/no flag has a --no- form',
    );
    expect(() => parsed(['--no-such'])).toThrow(/unknown option '--no-such'/);
  });

  it("lists both of a pair in --help, with the field's default; the hidden --no- of a value flag is not listed", () => {
    const cmd = new Command('run');
    registerRunFlags(cmd, flagSources());
    const help = cmd.helpInformation();
    expect(help).toMatch(/--write-back\s+kvstore: override: reads write/);
    expect(help).toMatch(/--no-write-back\s+turns --write-back off/);
    expect(help).toMatch(/--read-repair\s+kvstore: repair stale replicas after reads\s+\(default: off\)/);
    expect(help).toMatch(/--no-read-repair\s+turns --read-repair off/);
    expect(help).toMatch(/--no-pre-vote\s+turns --pre-vote off/);
    expect(help).toMatch(/--no-decrements/);
    expect(help).not.toContain('--no-read-quorum');
  });
});

describe('yes/no flags on faultline run', () => {
  it("sets kvstore's optional writeBack either way (it has no default to negate)", async () => {
    expect((await prepared(['--no-write-back'])).targetOptions).toEqual({ writeBack: false });
    expect((await prepared(['--write-back'])).targetOptions).toEqual({ writeBack: true });
    expect((await prepared(['--workload', 'counter', '--no-decrements'])).workloadOptions).toMatchObject({
      decrements: false,
    });
  });

  it("overrides a config file's value either way", async () => {
    const on = configFile(
      'on.config.ts',
      `export default { target: 'kvstore', targetOptions: { writeBack: true, readRepair: true, readQuorum: 2 } };`,
    );
    const o = await prepared(['--config', on, '--no-write-back', '--no-read-repair']);
    expect(o.targetOptions).toEqual({ writeBack: false, readRepair: false, readQuorum: 2 });
    const off = configFile(
      'off.config.ts',
      `export default { target: 'etcd', targetOptions: { preVote: false, serializable: false } };`,
    );
    expect((await prepared(['--config', off, '--pre-vote'])).targetOptions).toEqual({
      preVote: true,
      serializable: false,
    });
    expect((await prepared(['--config', off])).targetOptions).toEqual({
      preVote: false,
      serializable: false,
    });
  });

  it("gives a config's own target its pairs too", async () => {
    const path = configFile(
      'own-bool.config.ts',
      `import { z } from ${JSON.stringify(join(root, 'node_modules/zod/index.js'))};
import { kvstoreTarget } from ${JSON.stringify(join(root, 'src/targets/kvstore/index.ts'))};
const options = z.object({ fancy: z.boolean().optional() }).strict();
export default { target: { ...kvstoreTarget, name: 'mystore', options }, targetOptions: { fancy: true } };`,
    );
    expect((await prepared(['--config', path, '--no-fancy'])).targetOptions).toEqual({ fancy: false });
    await expect(prepared(['--config', path, '--no-plain'])).rejects.toThrow(/unknown option '--no-plain'/);
  });

  it('refuses an unknown --no-x, a --no- before a value flag, and a pair for another target, by name', async () => {
    await expect(prepared(['--no-colour'])).rejects.toThrow(UsageError);
    await expect(prepared(['--no-colour'])).rejects.toThrow(/unknown option '--no-colour'/);
    await expect(prepared(['--no-read-quorum'])).rejects.toThrow(
      /--no-read-quorum: --read-quorum takes a value/,
    );
    await expect(prepared(['--target', 'redis', '--no-write-back'])).rejects.toThrow(
      /--no-write-back applies to target kvstore only/,
    );
    await expect(prepared(['--target', 'kvstore', '--no-serializable'])).rejects.toThrow(
      /--no-serializable applies to target etcd only/,
    );
  });
});
