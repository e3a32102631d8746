#!/usr/bin/env bash
# Debian's poppler-utils: pdftotext reads back the PDFs the system generates (tests/integration/test_pdf.py and the
# end-to-end tests check their text). Idempotent: does nothing when pdftotext is already installed.
set -euo pipefail
if command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq poppler-utils
pdftotext -v 2>&1 | head -1
