/** What the local runtime can do on this machine: libfaketime (clock faults) and the jemalloc stand-in. */
import { existsSync } from 'node:fs';
import { FAULT_KINDS, type FaultKind } from '../cluster.js';
import type { RuntimeProbe } from '../runtime.js';

export const FAKETIME_LIB_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
];
/** faultline's libjemalloc.so.2 stand-in (docker/jemalloc-shim.c, built by scripts/setup-docker.sh). */
export const JEMALLOC_SHIM_CANDIDATES = ['/usr/local/lib/faultline/libjemalloc.so.2'];

type Support = { supported: true } | { supported: false; reason: string };
export type FaultTable = Record<FaultKind, Support>;

/** The host's libfaketime (`preload`) and faultline's jemalloc stand-in (`shim`), where present. */
export function tools(): { preload?: string; shim?: string } {
  return {
    // FAULTLINE_LIBFAKETIME names another build; set empty, it turns clock faults off.
    preload:
      process.env.FAULTLINE_LIBFAKETIME !== undefined
        ? process.env.FAULTLINE_LIBFAKETIME || undefined
        : FAKETIME_LIB_CANDIDATES.find((p) => existsSync(p)),
    shim: [process.env.FAULTLINE_JEMALLOC_SHIM, ...JEMALLOC_SHIM_CANDIDATES].find((p) => p && existsSync(p)),
  };
}

export async function probeLocal(): Promise<RuntimeProbe> {
  const t = tools();
  const faults = Object.fromEntries(FAULT_KINDS.map((f) => [f, { supported: true }])) as FaultTable;
  if (process.platform !== 'linux')
    faults.clock = {
      supported: false,
      reason: `libfaketime is wired for Linux only (this is ${process.platform})`,
    };
  else if (!t.preload)
    faults.clock = {
      supported: false,
      reason:
        'libfaketime is not installed (apt-get install libfaketime; faultline looks for libfaketimeMT.so.1)',
    };
  return {
    available: { supported: true },
    faults,
    info: {
      runtime: 'local',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      libfaketime: t.preload ?? null,
      proxy: 'faultline TCP proxy (latency, jitter, bandwidth, stalls, partitions, resets)',
    },
  };
}
