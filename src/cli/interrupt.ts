/**
 * Ctrl-C and crashes for commands that run clusters: the first signal aborts (the command
 * tears down and reports what ran), a second stops every node now and exits 130; a crash stops
 * every node and exits 255, once (a crash while crashing, e.g. stderr gone, must not loop).
 */
import { EXIT, exitWith } from './exit.js';

export function interruptHandling(o: { stopAll: () => Promise<unknown>; first: string; second: string }) {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nfaultline: ${signal}: ${o.first} (again to force)\n`);
      controller.abort();
    } else {
      process.stderr.write(`\nfaultline: ${signal} again: ${o.second}\n`);
      void o.stopAll().finally(() => exitWith(130));
    }
  };
  let crashed = false;
  const onCrash = (e: unknown) => {
    if (crashed) return;
    crashed = true;
    try {
      process.stderr.write(`faultline: internal error: ${(e as Error)?.message ?? e}\n`);
    } catch {}
    void o.stopAll().finally(() => exitWith(EXIT.crash));
  };
  // A reader that went away (a closed pipe) costs the progress lines, not the run.
  const onStderrError = () => {};
  process.stderr.on('error', onStderrError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      process.stderr.off('error', onStderrError);
    },
  };
}
