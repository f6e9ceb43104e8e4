#!/usr/bin/env bash
# Load benchmark of the service platform: installs nginx (for the plain-proxy baseline) if it
# is missing, then runs npo-bench with the given options, e.g.
#   scripts/bench.sh --duration-secs 5 --json bench.json
# See `cargo run --release -p npo-bench -- --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/sbin/nginx ]]; then
    if [[ $(id -u) -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        sudo=(false)
    fi
    echo "installing nginx for the baseline scenario" >&2
    if ! { "${sudo[@]}" apt-get update -qq &&
        { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light ||
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }; } >&2; then
        echo "could not install nginx: running without the nginx scenario" >&2
    fi
fi

exec cargo run --release -p npo-bench -- "$@"
