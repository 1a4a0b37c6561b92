/**
 * Config files and generated flags: one schema for both, flags over the file, every bad input
 * one line naming the field (exit 254 through the CLI), target flags made from the targets'
 * own schemas and refused for a target that lacks them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/exit.js';
import { flagSources, prepareRun } from '../../src/cli/run.js';
import { registerRunFlags } from '../../src/cli/run-flags.js';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';
import { faultline } from '../cli/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-config-'));
const root = resolve(import.meta.dirname, '..', '..');

function configFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

async function prepared(args: string[]) {
  const cmd = new Command('run').exitOverride();
  const generated = registerRunFlags(cmd, flagSources());
  cmd.parse(args, { from: 'user' });
  return prepareRun(cmd, generated);
}

describe('run flags made from the schemas', () => {
  it('maps target and workload flags into their options, with defaults from the schemas', async () => {
    const o = await prepared(['--read-quorum', '1', '--write-quorum', '1', '--seed', '9', '--mix', '1,1,0']);
    expect(o.target.name).toBe('kvstore');
    expect(o.targetOptions).toMatchObject({ readQuorum: 1, writeQuorum: 1 });
    expect(o.workloadOptions).toMatchObject({ mix: '1,1,0' });
    expect(o.seed).toBe(9);
    expect(o.concurrency).toBe(10);
    const etcd = await prepared(['--target', 'etcd', '--serializable', '--no-pre-vote']);
    expect(etcd.targetOptions).toMatchObject({ serializable: true, preVote: false });
  });

  it('refuses a flag for a target that lacks it, naming who takes it', async () => {
    await expect(prepared(['--target', 'redis', '--read-quorum', '1'])).rejects.toThrow(
      /--read-quorum applies to target kvstore only/,
    );
    await expect(prepared(['--target', 'kvstore', '--serializable'])).rejects.toThrow(
      /--serializable applies to target etcd only/,
    );
  });

  it('refuses bad values, unknown names and impossible combinations before anything starts', async () => {
    await expect(prepared(['--target', 'redis', '--topology', 'ring'])).rejects.toThrow(
      /unknown topology "ring"/,
    );
    await expect(prepared(['--target', 'nosuch'])).rejects.toThrow(/unknown target "nosuch"/);
    await expect(prepared(['--mix', 'x'])).rejects.toThrow(/workload register\.mix/);
    await expect(prepared(['--target', 'etcd', '--nemesis', 'clock'])).rejects.toThrow(/clock.*vDSO/);
    await expect(prepared(['--partitions', 'halves'])).rejects.toThrow(/need a nemesis/);
    await expect(prepared(['--target', 'redis', '--topology', 'single', '--nodes', '3'])).rejects.toThrow(
      /exactly 1 node/,
    );
    await expect(prepared(['--target', 'redis'])).resolves.toBeDefined();
  });
});

describe('config files', () => {
  it('loads a TypeScript config; flags override its fields one by one', async () => {
    const path = configFile(
      'ok.config.ts',
      `const config: Record<string, unknown> = { target: 'kvstore', targetOptions: { readQuorum: 1 }, timeLimit: 7, concurrency: 3 };
export default config;`,
    );
    const o = await prepared(['--config', path, '--concurrency', '5', '--write-quorum', '1']);
    expect(o.timeLimitS).toBe(7);
    expect(o.concurrency).toBe(5);
    expect(o.targetOptions).toEqual({ readQuorum: 1, writeQuorum: 1 });
  });

  it('takes a target object of its own (what a user with their own database writes)', async () => {
    const path = configFile(
      'own.config.ts',
      `import { kvstoreTarget } from ${JSON.stringify(join(root, 'src/targets/kvstore/index.ts'))};
export default { target: { ...kvstoreTarget, name: 'mystore' }, workload: 'register' };`,
    );
    const o = await prepared(['--config', path]);
    expect(o.target.name).toBe('mystore');
  });

  it("makes flags of a config's own target once the file is read; anything else stays unknown", async () => {
    const path = configFile(
      'flags.config.ts',
      `import { z } from ${JSON.stringify(join(root, 'node_modules/zod/index.js'))};
import { kvstoreTarget } from ${JSON.stringify(join(root, 'src/targets/kvstore/index.ts'))};
const options = z.object({ flavour: z.enum(['plain', 'odd']).default('plain') }).strict();
export default { target: { ...kvstoreTarget, name: 'mystore', options } };`,
    );
    const o = await prepared(['--config', path, '--flavour', 'odd']);
    expect(o.targetOptions).toEqual({ flavour: 'odd' });
    await expect(prepared(['--config', path, '--flavour', 'sour'])).rejects.toThrow(
      /target mystore\.flavour/,
    );
    await expect(prepared(['--config', path, '--colour', 'red'])).rejects.toThrow(
      /unknown option '--colour'/,
    );
    await expect(prepared(['--colour', 'red'])).rejects.toThrow(UsageError);
    await expect(prepared(['stray'])).rejects.toThrow(/argument/);
  });

  it('one config, any runtime: runtimeOptions by runtime name, only `runtime` changes', async () => {
    const body = (runtime: string) =>
      `export default { runtime: '${runtime}', target: 'kvstore', runtimeOptions: { ssh: { hosts: 'root@127.0.0.1:22' }, docker: { subnet: '10.213.77.0/24' }, local: {} } };`;
    for (const runtime of ['ssh', 'docker', 'local']) {
      const o = await prepared(['--config', configFile(`${runtime}.config.ts`, body(runtime))]);
      expect(o.runtime.name).toBe(runtime);
    }
    const bad = configFile(
      'bad-section.config.ts',
      body('docker').replace("subnet: '10.213.77.0/24'", 'subnet: 7'),
    );
    await expect(prepared(['--config', bad])).rejects.toThrow(/runtime docker\.subnet/);
  });

  it('names the bad field in one line', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'bad-type.config.ts',
        `export default { concurrency: 'lots' };`,
        /bad-type\.config\.ts: concurrency: .*number/,
      ],
      ['unknown.config.ts', `export default { concurrency: 2, colour: 'red' };`, /unknown field "colour"/],
      ['bad-target.config.mjs', `export default { target: 42 };`, /bad-target\.config\.mjs: target: /],
      ['syntax.config.ts', `export default { concurrency: `, /syntax\.config\.ts: could not load/],
    ];
    for (const [name, body, message] of cases) {
      const path = configFile(name, body);
      await expect(loadConfigFile(path)).rejects.toThrow(ConfigError);
      await expect(loadConfigFile(path)).rejects.toThrow(message);
    }
    await expect(loadConfigFile(join(dir, 'missing.config.ts'))).rejects.toThrow(/no such config file/);
    const nested = configFile('nested.config.ts', `export default { targetOptions: { readQuorum: 0 } };`);
    await expect(prepared(['--config', nested])).rejects.toThrow(UsageError);
    await expect(prepared(['--config', nested])).rejects.toThrow(/target kvstore\.readQuorum/);
  });

  it('the CLI exits 254 with the field named, before any node starts', async () => {
    const path = configFile('cli-bad.config.ts', `export default { timeLimit: -1 };`);
    const r = await faultline('run', '--config', path);
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(/^faultline: .*cli-bad\.config\.ts: timeLimit: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help lists every target flag with its owner, generated from the schemas', async () => {
    const r = await faultline('run', '--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--read-quorum <n>',
      '--no-pre-vote',
      '--serializable',
      '--write-back',
      '--no-write-back',
      'Each yes/no one comes as a pair, --x and --no-x',
      '--sentinel-down-after-ms <n>',
      '--mix <value>',
      '--config <file>',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/--read-quorum <n>\s+kvstore: R/);
  });
});
