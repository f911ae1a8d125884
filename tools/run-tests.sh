#!/usr/bin/env bash
# Every test that runs without a GPU: the lit/FileCheck suite and the gtests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSEL_BUILD_DIR:-$root/build}"

"$root/tools/build.sh"
# The device label needs a GPU: tools/device/prepare.sh + run.sh run it there.
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -LE device "$@"
