#!/usr/bin/env bash
# Installs Debian's Chromium for the report's browser tests (test/report/browser.test.ts), which
# drive it with playwright-core (its own browser download is not reachable from here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "== chromium: $(chromium --version 2>/dev/null | tail -1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
echo "== chromium: $(chromium --version 2>/dev/null | tail -1)"
