// Links this checkout's CLI as node_modules/.bin/faultline. npm links the bins of a project's
// dependencies, not its own; without the link, `npx faultline` in a clone installs the clone
// again into npm's cache (a registry request per dependency, ~20 s here) before it runs.
// Best effort: a failure only costs that first `npx` its time, so it never fails the install.
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';

const bin = 'dist/src/cli/main.js';
try {
  if (existsSync('node_modules') && existsSync(bin)) {
    mkdirSync('node_modules/.bin', { recursive: true });
    rmSync('node_modules/.bin/faultline', { force: true });
    symlinkSync(`../../${bin}`, 'node_modules/.bin/faultline');
    chmodSync(bin, 0o755);
  }
} catch (e) {
  console.warn(
    `faultline: could not link node_modules/.bin/faultline (${e.message}); npx faultline still works, slower the first time`,
  );
}
