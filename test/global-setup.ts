/**
 * Builds dist/ once before the suites, so tests that run the real `faultline` binary test
 * today's code. Type errors do not stop the tests here (tsc still emits); `npm run lint`
 * is where they fail the build.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const result = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0)
    process.stderr.write(`warning: tsc reported errors while building dist/:\n${result.stdout}`);
}
