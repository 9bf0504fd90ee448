#!/usr/bin/env bash
# What both quick-start commands need first: packages, a build, the weights.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
weights/fetch.sh
