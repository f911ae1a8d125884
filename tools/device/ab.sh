#!/usr/bin/env bash
# On the GPU machine: time kernel variants against each other in alternating rounds, so
# that drift within the session (clocks, neighbours) falls on every variant alike.
#   tools/device/ab.sh ROUNDS CASES VARIANT... [-- TESSEL-BENCH OPTIONS]
# Each VARIANT is a directory under .device-carry/var/ holding a tesselc artifact (put
# there after tools/device/prepare.sh, which wipes .device-carry). One log, $OUT/ab.log:
# every tessel-bench line prefixed by "round VARIANT". TESSEL_AB_REST_S: seconds of rest
# before each variant's run.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
carry="$root/.device-carry"
out="${OUT:-/tmp/tessel-out}"
mkdir -p "$out"
if (($# < 3)); then
  echo "usage: $0 ROUNDS CASES VARIANT... [-- TESSEL-BENCH OPTIONS]" >&2
  exit 2
fi
rounds="$1" cases="$2"
shift 2
variants=()
while (($#)) && [[ "$1" != -- ]]; do
  variants+=("$1")
  shift
done
(($#)) && shift
status=0
for ((round = 1; round <= rounds; ++round)); do
  for v in "${variants[@]}"; do
    # A rest before each variant (seconds, default none): a heavy last case leaves the SM
    # clock low for the next variant's short cases (bench/order_cases.py).
    sleep "${TESSEL_AB_REST_S:-0}"
    "$carry/bin/tessel-bench" --artifact "$carry/var/$v" --cases "$cases" "$@" |
      sed "s/^/$round $v /" | tee -a "$out/ab.log" || status=1
  done
done
exit $status
