#!/usr/bin/env bash
# Install Debian's chromium when it is missing (the HTML diff report test opens the report in it).
# Idempotent; needs root (or sudo) and apt-get only when chromium is absent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: chromium is missing and apt-get is not available: install chromium by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]
