#!/usr/bin/env bash
# Installs and starts a Docker engine (Debian's docker.io, no systemd needed) and builds the
# images faultline's Docker runtime uses. Idempotent: safe to run again; quick when all is there.
#
# Images are built without a registry: `faultline-base` is an almost empty root file system
# (bin, lib, lib64, sbin as symlinks into /usr) and containers run with the host's /usr mounted
# read-only, so the databases are the host's Debian packages installed below.
#
# Environment: FAULTLINE_SKIP_APT=1 skips apt-get (packages already there).
set -euo pipefail

log() { printf '[setup-docker] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# gcc builds the jemalloc stand-in below (Redis clock faults). postgresql: the binaries of the
# user-target example (examples/custom-target/). openssh-server: the SSH runtime's tests run an sshd
# per network namespace (the package's own service is not started: see policy-rc.d below).
PACKAGES=(docker.io tini iptables iproute2 libfaketime etcd-server etcd-client redis-server redis-sentinel gcc postgresql openssh-server)

need_install=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    need_install+=("$p")
  fi
done
if [ "${#need_install[@]}" -gt 0 ] && [ "${FAULTLINE_SKIP_APT:-0}" != 1 ]; then
  log "installing: ${need_install[*]}"
  # Never let package scripts start daemons (redis-server, etcd) on the host.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    remove_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
  if [ "${remove_policy:-0}" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

# Package scripts may still have started services on some hosts: stop the Debian ones (the
# postgresql service's process is named postgres).
for svc in redis-server redis-sentinel etcd postgresql; do
  if pgrep -x "${svc%ql}" >/dev/null 2>&1 && [ -x "/etc/init.d/$svc" ]; then
    $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
done

DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER="$(command -v docker)"
SOCK=/var/run/docker.sock

engine_up() { "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! engine_up; then
  # Without systemd nothing may have mounted the cgroup hierarchies dockerd needs.
  if ! grep -q ' /sys/fs/cgroup' /proc/mounts && command -v cgroupfs-mount >/dev/null; then
    $SUDO cgroupfs-mount || true
  fi
  log "starting dockerd"
  $SUDO mkdir -p /var/log
  # setsid: the engine outlives this script (CI runs the tests afterwards).
  $SUDO setsid nohup /usr/sbin/dockerd >/var/log/faultline-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    if engine_up; then break; fi
    sleep 0.5
  done
  if ! engine_up; then
    log "dockerd did not come up; last log lines:"
    tail -n 30 /var/log/faultline-dockerd.log >&2 || true
    exit 1
  fi
fi
log "engine $("$DOCKER" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# The jemalloc stand-in (docker/jemalloc-shim.c): Debian's redis-server hangs under libfaketime
# with the real jemalloc, so the clock fault runs it with this library instead (only then; the
# directory is not on the host's library path). Rebuilt when the source changes.
SHIM_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docker/jemalloc-shim.c"
SHIM_DIR=/usr/local/lib/faultline
if [ -f "$SHIM_SRC" ]; then
  if command -v gcc >/dev/null 2>&1; then
    shim_tmp="$(mktemp -d)"
    gcc -O2 -shared -fPIC -Wl,-soname,libjemalloc.so.2 -o "$shim_tmp/libjemalloc.so.2" "$SHIM_SRC"
    if ! cmp -s "$shim_tmp/libjemalloc.so.2" "$SHIM_DIR/libjemalloc.so.2"; then
      log "installing the jemalloc stand-in in $SHIM_DIR (Redis clock faults)"
      $SUDO mkdir -p "$SHIM_DIR"
      $SUDO install -m 0644 "$shim_tmp/libjemalloc.so.2" "$SHIM_DIR/libjemalloc.so.2"
    fi
    rm -rf "$shim_tmp"
  else
    log "no gcc: the jemalloc stand-in is not built, so Redis cannot take clock faults (apt-get install gcc)"
  fi
fi

# faultline-base: the empty root file system used with the host's /usr mounted read-only.
IMAGE=faultline-base:1
if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  log "building $IMAGE"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  root="$tmp/root"
  mkdir -p "$root"/{usr,etc,tmp,data,run,var/tmp,var/run,proc,sys,dev,faultline}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  tar -C "$root" --numeric-owner -cf "$tmp/root.tar" .
  "$DOCKER" import -c 'LABEL faultline.image=base' -m 'faultline base: host /usr is mounted at run time' \
    "$tmp/root.tar" "$IMAGE" >/dev/null
fi
log "ready: $("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | grep '^faultline-' | tr '\n' ' ')"
