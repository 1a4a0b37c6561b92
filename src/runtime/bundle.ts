/**
 * Code that runs where the checkout is not visible (a node's process, a sidecar) is bundled
 * with esbuild, once per process, into a directory of its own: from dist/ when faultline runs
 * compiled, from the TypeScript sources in tests. Whoever runs it is shown that directory only.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BundleSpec {
  /** What the code is, for the error when it is missing. */
  what: string;
  /** The directory of the entry module. */
  dir: string;
  /** The entry's name, compiled (`x.js`); its TypeScript source (`x.ts`) is taken where that is absent. */
  entry: string;
  /** The bundle's file name in its directory. */
  outfile: string;
  /** The prefix of the bundle's temporary directory's name. */
  tmpPrefix: string;
}

const bundles = new Map<string, Promise<string>>();

/** The directory holding `spec`'s bundle, made on the first call (again after a failure). */
export function bundleOnce(spec: BundleSpec): Promise<string> {
  const key = join(spec.dir, spec.entry);
  let bundled = bundles.get(key);
  if (!bundled) {
    bundled = build(spec).catch((e: Error) => {
      bundles.delete(key);
      throw e;
    });
    bundles.set(key, bundled);
  }
  return bundled;
}

async function build({ what, dir, entry, outfile, tmpPrefix }: BundleSpec): Promise<string> {
  const sources = [entry, entry.replace(/\.js$/, '.ts')].map((f) => join(dir, f));
  const source = sources.find((f) => existsSync(f));
  if (!source) throw new Error(`${what} not found in ${dir}`);
  const esbuild = await import('esbuild');
  const out = mkdtempSync(join(tmpdir(), tmpPrefix));
  await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(out, outfile),
    logLevel: 'silent',
  });
  return out;
}
