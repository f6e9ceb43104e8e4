#!/usr/bin/env bash
# Installs the system tools npo's tests and `npo validate` need. Idempotent: does nothing when
# everything is already present.
#   - xmllint (Debian/Ubuntu package libxml2-utils): XSD validation in npo-riv's `xsd` module.
set -euo pipefail

if command -v xmllint >/dev/null 2>&1; then
    echo "xmllint already installed: $(command -v xmllint)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install xmllint (libxml2-utils) with your package manager" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "error: not root and sudo is not available; run as root: apt-get install -y libxml2-utils" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y libxml2-utils

xmllint --version 2>&1 | head -n 1
