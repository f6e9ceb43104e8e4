#!/usr/bin/env bash
# Installs and starts what npo's tests need on a Debian machine. Idempotent: does nothing that
# is already done, so CI and developers run it on every test run.
#   - xmllint (libxml2-utils): XSD validation of every message (npo-riv's `xsd` module).
#   - PostgreSQL on 127.0.0.1:5432 with trust auth for local connections: the production store,
#     tested beside the embedded SQLite.
#   - chromium, node and the npm packages of tests/browser: the web app's browser tests.
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    fi
fi

apt_updated=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: apt-get not found; install $* with your package manager" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = 0 ]; then
        "${SUDO[@]}" apt-get update -qq
        apt_updated=1
    fi
    "${SUDO[@]}" apt-get install -y -qq "$@"
}

command -v xmllint >/dev/null 2>&1 || apt_install libxml2-utils

# PostgreSQL: installed, running and reachable on 127.0.0.1:5432.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        apt_install postgresql
    fi
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    conf=/etc/postgresql/$version/main
    # Local test server: trust loopback connections (as CI's database is set up).
    if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$conf/pg_hba.conf"; then
        "${SUDO[@]}" sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
    fi
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 1
    done
    pg_isready -h 127.0.0.1 -p 5432
fi

# The web app's browser tests: Debian's chromium, and playwright-core + axe-core from npm (exact
# versions in tests/browser/package-lock.json).
command -v chromium >/dev/null 2>&1 || apt_install chromium
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ] \
    || [ "$root/tests/browser/package-lock.json" -nt "$root/tests/browser/node_modules/.package-lock.json" ]; then
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
