#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (Playwright drives /usr/bin/chromium; its own browser
# download cannot work here). Idempotent: does nothing when Chromium is already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver
/usr/bin/chromium --version
