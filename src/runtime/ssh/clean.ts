/**
 * `clean` on SSH hosts: the node directories under remoteDir that this host holds (by the HOST
 * in their env file) and that no live harness holds (no tether running there), or all of one
 * run's: their processes ended (pid files, checked against each process's environment), the
 * run's iptables chain and netem qdisc removed, the directory removed (teardown.sh). Then any
 * faultline-* chain that no remaining run directory names.
 */
import type { Connection } from './conn.js';
import { q } from './conn.js';

export function cleanScript(o: {
  remoteDir: string;
  label: string;
  runId?: string;
  chain?: string;
  dryRun: boolean;
  sudo: string;
}): string {
  const S = o.sudo ? `${o.sudo} ` : '';
  return `R=${q(o.remoteDir)}; ME=${q(o.label)}; ONLY=${q(o.runId ?? '')}; DRY=${o.dryRun ? 1 : "''"}
for D in "$R"/*/*/; do
  D=\${D%/}
  [ -f "$D/env" ] && [ -f "$D/teardown.sh" ] || continue
  h=$(sed -n "s/^HOST=//p" "$D/env" | tr -d "'")
  [ "$h" = "$ME" ] || continue
  run=$(basename "$(dirname "$D")")
  if [ -n "$ONLY" ]; then [ "$run" = "$ONLY" ] || continue
  else
    t=$(cat "$D/ctl/tether.pid" 2>/dev/null)
    if [ -n "$t" ] && tr '\\0' ' ' < "/proc/$t/cmdline" 2>/dev/null | grep -qF "$D/tether.sh"; then continue; fi
  fi
  echo "run $run $(basename "$D")"
  [ -n "$DRY" ] || sh "$D/teardown.sh" "$D" >/dev/null 2>&1
done
live=$(cat "$R"/*/*/env 2>/dev/null | sed -n "s/^CHAIN=//p")
if command -v iptables >/dev/null 2>&1; then
  for c in $(${S}iptables -w -S 2>/dev/null | sed -n 's/^-N \\(faultline-[A-Za-z0-9_-]*\\)$/\\1/p'); do
    if [ -n "$ONLY" ]; then [ "$c" = ${q(o.chain ?? '')} ] || continue; fi
    echo "$live" | grep -qxF "$c" && continue
    echo "chain $c"
    [ -n "$DRY" ] && continue
    while ${S}iptables -w -D INPUT -j "$c" 2>/dev/null; do :; done
    ${S}iptables -w -F "$c"; ${S}iptables -w -X "$c"
  done
fi
true
`;
}

export async function cleanHost(
  conn: Connection,
  o: { remoteDir: string; runId?: string; chain?: string; dryRun: boolean; sudo: string; timeoutMs: number },
): Promise<string[]> {
  const out = await conn.run(cleanScript({ ...o, label: conn.label }), {
    timeoutMs: o.timeoutMs,
    what: 'clean',
  });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [kind, a, b] = l.split(' ');
      return kind === 'run'
        ? `ssh ${conn.label} run ${a} node ${b}`
        : `ssh ${conn.label} iptables chain ${a}`;
    });
}
