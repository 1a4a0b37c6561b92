/**
 * The init inside every container: tini as PID 1, then this small shell supervisor, then the
 * database as the supervisor's child. Killing the database (the kill fault) leaves the
 * container and its data in place; `start` lets the supervisor run it again.
 *
 * Control files in /run/faultline:
 *   stopped   present: the database must not run (kill sets it, start removes it). A database
 *             that exits by itself also sets it: the harness, not the supervisor, restarts.
 *   db.pid    the running database's pid (absent while it is down).
 *   go        present: the database (and its companion) may start; waited for only under
 *             FAULTLINE_HOLD (the latency proxies must be in front of every node first).
 *   faketime  libfaketime's offset ("+0", "+3600", "-300") for databases run with fakeClock,
 *             unless FAULTLINE_FAKETIME_FILE names another file (the runtime's: a host file the
 *             harness rewrites, bind-mounted read-only).
 *
 * Environment: FAULTLINE_PRELOAD (libfaketime's path, when the database runs under it),
 * FAULTLINE_LIBPATH (a directory put first on the database's library path under libfaketime:
 * the jemalloc stand-in for redis-server) and FAULTLINE_SIDECAR (a command started once beside
 * the database). Only the database sees LD_PRELOAD and LD_LIBRARY_PATH: `docker exec`
 * commands inherit the container environment, which has neither.
 */
export const CONTROL_DIR = '/run/faultline';

export const SUPERVISOR_SCRIPT = `
set -u
C=${CONTROL_DIR}
mkdir -p $C
[ -e $C/faketime ] || echo '+0' > $C/faketime
if [ -n "\${FAULTLINE_HOLD:-}" ]; then while [ ! -e $C/go ]; do sleep 0.05; done; fi
pid=''
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; exit 0' TERM INT
if [ -n "\${FAULTLINE_SIDECAR:-}" ]; then
  ( while :; do sh -c "$FAULTLINE_SIDECAR"; echo "[faultline] sidecar exited ($?)"; sleep 1; done ) &
fi
while :; do
  if [ -e $C/stopped ]; then sleep 0.05; continue; fi
  echo "[faultline] starting database: $*"
  if [ -n "\${FAULTLINE_PRELOAD:-}" ]; then
    LD_LIBRARY_PATH="\${FAULTLINE_LIBPATH:-}" LD_PRELOAD="$FAULTLINE_PRELOAD" \\
      FAKETIME_TIMESTAMP_FILE="\${FAULTLINE_FAKETIME_FILE:-$C/faketime}" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "$@" &
  else
    "$@" &
  fi
  pid=$!
  echo $pid > $C/db.pid
  wait $pid
  status=$?
  rm -f $C/db.pid
  pid=''
  if [ -e $C/stopped ]; then echo "[faultline] database killed ($status)";
  else echo "[faultline] database exited by itself ($status); not restarting"; touch $C/stopped; fi
done
`;

/** The container command: tini, the supervisor, the database command line. */
export function supervisedCommand(command: string[]): string[] {
  return [
    '/usr/bin/tini',
    '-s',
    '--',
    '/bin/sh',
    '-c',
    SUPERVISOR_SCRIPT,
    'faultline-supervisor',
    ...command,
  ];
}

/** Shell run by `docker exec` to kill the database (and wait until it is gone). */
export const KILL_SCRIPT = `C=${CONTROL_DIR}; touch $C/stopped
if [ -e $C/db.pid ]; then kill -9 "$(cat $C/db.pid)" 2>/dev/null; fi
i=0; while [ -e $C/db.pid ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
[ ! -e $C/db.pid ]`;

/** Shell run by `docker exec` to let a held node (FAULTLINE_HOLD) start its database. */
export const RELEASE_SCRIPT = `touch ${CONTROL_DIR}/go`;

/** Shell run by `docker exec` to start the database again (and wait until it runs). */
export const START_SCRIPT = `C=${CONTROL_DIR}; rm -f $C/stopped
i=0; while [ ! -e $C/db.pid ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
[ -e $C/db.pid ]`;

/** Whether the database process runs (exit 0) or not. */
export const RUNNING_SCRIPT = `[ -e ${CONTROL_DIR}/db.pid ] && kill -0 "$(cat ${CONTROL_DIR}/db.pid)" 2>/dev/null`;
