/**
 * `npm run bench`: runs every benchmark in its own process, one after the other, so each one's
 * time and peak RSS are its own. Figures only: nothing here passes or fails on time.
 *
 *   npm run bench                 all of them
 *   npm run bench -- causal       only the named ones (linearizable, causal, set-counter, cluster)
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['linearizable', 'causal', 'set-counter', 'cluster', 'local', 'read-path'] as const;
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.join(', ')}\n`);
  process.exit(254);
}
let failed = 0;
for (const name of BENCHES) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n=== bench/${name}\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(bench/${name} exited with ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
