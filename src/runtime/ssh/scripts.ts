/**
 * What faultline puts on a host: one directory per node of a run, `<remoteDir>/<run>/<node>/`:
 *
 *   supervisor.sh  the small supervisor the database runs under (uploaded over SFTP, started
 *                  detached with setsid): kill and start act on the database's process group,
 *                  the supervisor and the data stay;
 *   teardown.sh    ends the node's processes (checked by the FAULTLINE_NODE_DIR in their
 *                  environment, so a recycled pid is never hit), removes the run's iptables
 *                  chain and netem qdisc, then the directory. Run at stop, by the tether when the
 *                  harness is gone, and by `clean`;
 *   tether.sh      held open by the harness over SSH (stdin): when the harness dies or its
 *                  connection drops, stdin ends and it runs teardown.sh;
 *   env            SUDO (the prefix of privileged commands), CHAIN (the run's iptables chain),
 *                  HOST (user@host:port as the harness named it, so `clean` acts only on its own);
 *   ctl/           stopped (present: the database must not run), db.pid, sidecar.pid,
 *                  supervisor.pid, tether.pid, netem (the device carrying a netem qdisc);
 *   data/          the database's data directory; share/<i>/ the directories the target shared;
 *   node.log       the supervisor's and the database's output.
 */

export const SUPERVISOR_SCRIPT = `set -u
D=$1; shift
C=$D/ctl
mkdir -p "$C"
echo $$ > "$C/supervisor.pid"
export FAULTLINE_NODE_DIR="$D"
pid=''
trap '[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null; exit 0' TERM INT
trap '' HUP
if [ -n "\${FAULTLINE_SIDECAR:-}" ]; then
  ( cd "$D/data"; while [ ! -e "$C/down" ]; do
      setsid sh -c "$FAULTLINE_SIDECAR" & echo $! > "$C/sidecar.pid"; wait $!
      echo "[faultline] sidecar exited ($?)"; sleep 1
    done ) &
fi
cd "$D/data"
while :; do
  if [ -e "$C/stopped" ]; then sleep 0.05; continue; fi
  echo "[faultline] $(date -u +%H:%M:%S) starting database: $*"
  setsid "$@" &
  pid=$!
  echo $pid > "$C/db.pid"
  wait $pid
  status=$?
  # Children of the database (its process group) go with it.
  kill -KILL -- "-$pid" 2>/dev/null
  rm -f "$C/db.pid"
  pid=''
  if [ -e "$C/stopped" ]; then echo "[faultline] $(date -u +%H:%M:%S) database killed ($status)";
  else echo "[faultline] $(date -u +%H:%M:%S) database exited by itself ($status); not restarting"; touch "$C/stopped"; fi
done
`;

/** ours PID: whether the process belongs to node directory $D (its environment says so). */
const OURS = `ours() { tr '\\0' '\\n' < "/proc/$1/environ" 2>/dev/null | grep -qxF "FAULTLINE_NODE_DIR=$D"; }`;

export const TEARDOWN_SCRIPT = `D=$1
trap '' HUP INT TERM
[ -d "$D" ] || exit 0
C=$D/ctl
SUDO=''; CHAIN=''
[ -e "$D/env" ] && . "$D/env"
${OURS}
touch "$C/stopped" "$C/down" 2>/dev/null
for f in supervisor sidecar db; do
  [ -e "$C/$f.pid" ] || continue
  p=$(cat "$C/$f.pid")
  case "$p" in ''|*[!0-9]*) continue;; esac
  if ours "$p"; then kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; fi
done
if [ -n "$CHAIN" ] && $SUDO iptables -w -n -L "$CHAIN" >/dev/null 2>&1; then
  while $SUDO iptables -w -D INPUT -j "$CHAIN" 2>/dev/null; do :; done
  $SUDO iptables -w -F "$CHAIN"; $SUDO iptables -w -X "$CHAIN"
fi
if [ -e "$C/netem" ]; then $SUDO tc qdisc del dev "$(cat "$C/netem")" root 2>/dev/null; fi
i=0; while [ $i -lt 100 ]; do
  left=''
  for f in sidecar db; do [ -e "$C/$f.pid" ] && kill -0 -- "-$(cat "$C/$f.pid")" 2>/dev/null && left=1; done
  [ -z "$left" ] && break; sleep 0.05; i=$((i+1))
done
rm -rf "$D"
rmdir "$(dirname "$D")" 2>/dev/null
exit 0
`;

export const TETHER_SCRIPT = `D=$1
trap '' HUP INT
echo $$ > "$D/ctl/tether.pid"
cat > /dev/null
[ -e "$D/teardown.sh" ] && sh "$D/teardown.sh" "$D" > /dev/null 2>&1
exit 0
`;

/** Kills the database (its process group) and waits until the supervisor saw it go. */
export const killScript = (d: string) => `C=${d}/ctl; touch "$C/stopped"
if [ -e "$C/db.pid" ]; then p=$(cat "$C/db.pid"); kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; fi
i=0; while [ -e "$C/db.pid" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done
[ ! -e "$C/db.pid" ]`;

/** Lets the supervisor start the database again and waits until it runs. */
export const startScript = (d: string) => `C=${d}/ctl; rm -f "$C/stopped"
i=0; while [ ! -e "$C/db.pid" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done
[ -e "$C/db.pid" ] && cat "$C/db.pid"`;

/** SIGSTOP or SIGCONT to the database's and the sidecar's process groups. */
export const signalScript = (d: string, signal: 'STOP' | 'CONT') => `C=${d}/ctl
for f in db sidecar; do [ -e "$C/$f.pid" ] && kill -${signal} -- "-$(cat "$C/$f.pid")" 2>/dev/null; done; true`;

/** Whether the supervisor runs (0) and the database is down because it exited (prints "exited"). */
export const stateScript = (d: string) => `C=${d}/ctl
[ -e "$C/stopped" ] && echo stopped; [ -e "$C/db.pid" ] && echo running; true`;

/**
 * What a host says about itself: its kernel's boot id (hosts that share one are one machine),
 * whether privileged commands work, iptables, and whether the kernel has netem (tried on the
 * loopback device with a 0 ms delay, removed at once).
 */
export const probeScript = (sudo: string) => `echo "boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
echo "kernel=$(uname -sr)"
echo "uid=$(id -u)"
if ${sudo || ''} true 2>/dev/null; then echo priv=ok; else echo "priv=no"; fi
if command -v iptables >/dev/null 2>&1; then
  out=$(${sudo} iptables -w -n -L INPUT 2>&1 >/dev/null) && echo iptables=ok || echo "iptables=$(echo "$out" | head -1)"
else echo "iptables=not installed"; fi
if command -v tc >/dev/null 2>&1; then
  out=$(${sudo} tc qdisc add dev lo root netem delay 0ms 2>&1) && { ${sudo} tc qdisc del dev lo root; echo netem=ok; } || echo "netem=$(echo "$out" | head -1)"
else echo "netem=tc is not installed (iproute2)"; fi
command -v date >/dev/null 2>&1 && echo date=ok
`;

/** The run's iptables chain: faultline-<run>, within iptables' 28 characters. */
export function chainName(runId: string, hash: (s: string) => string): string {
  const plain = `faultline-${runId}`;
  if (plain.length <= 28 && /^[A-Za-z0-9_-]+$/.test(runId)) return plain;
  // faultline's own run ids (20250101T120000-abcd): the digits and the suffix fit.
  const compact = runId.replace(/^(\d{8})T(\d{6})-/, '$1$2');
  if (/^[A-Za-z0-9]+$/.test(compact) && compact.length <= 18) return `faultline-${compact}`;
  return `faultline-${hash(runId).slice(0, 18)}`;
}
