/**
 * bundleOnce: an entry bundled once per process into a directory of its own (the TypeScript
 * source taken where no compiled file is), the same directory on every later call, and a
 * failure not kept (the next call tries again).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleOnce } from '../../src/runtime/bundle.js';

const spec = (dir: string) => ({
  what: 'test code',
  dir,
  entry: 'main.js',
  outfile: 'main.mjs',
  tmpPrefix: 'faultline-bundle-test-',
});

describe('bundleOnce', () => {
  it('bundles the TypeScript source with its imports, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-bundle-src-'));
    writeFileSync(join(dir, 'dep.ts'), 'export const answer: number = 42;\n');
    writeFileSync(join(dir, 'main.ts'), "import { answer } from './dep.js';\nconsole.log(answer);\n");
    const out = await bundleOnce(spec(dir));
    const code = readFileSync(join(out, 'main.mjs'), 'utf8');
    expect(code).toContain('42');
    expect(code).not.toContain('./dep.js');
    expect(await bundleOnce(spec(dir))).toBe(out);
  });

  it('names what is missing, and tries again once it is there', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'faultline-bundle-src-')), 'later');
    await expect(bundleOnce(spec(dir))).rejects.toThrow(`test code not found in ${dir}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.js'), 'console.log("compiled");\n');
    const out = await bundleOnce(spec(dir));
    expect(existsSync(join(out, 'main.mjs'))).toBe(true);
    expect(readFileSync(join(out, 'main.mjs'), 'utf8')).toContain('compiled');
  });
});
