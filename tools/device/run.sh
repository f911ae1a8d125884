#!/usr/bin/env bash
# On the GPU machine, from the repository root, after tools/device/prepare.sh here:
#   tools/device/run.sh [tests|sanitize|bench|micro|all]   (default: all; micro is not in all)
# tests:    the device gtests on every artifact variant (fresh random inputs).
# sanitize: compute-sanitizer memcheck and racecheck on the small and ragged cases.
# bench:    tessel-bench and PyTorch SDPA on bench/anchors.cases (lightest case first), one
#           after the other.
# micro:    builds (nvcc, there) and runs bench/micro/merge_latency.cu: what the fix-up's
#           last merge waits for (docs/performance.md, "Where the time goes").
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
carry="$root/.device-carry"
out="${OUT:-/tmp/tessel-out}"
mkdir -p "$out"
what="${1:-all}"
status=0

if [[ "$what" == tests || "$what" == all ]]; then
  TESSEL_ARTIFACTS="$carry/artifacts" stdbuf -oL "$carry/bin/tessel-device-tests" \
    ${TESSEL_GTEST_FILTER:+--gtest_filter="$TESSEL_GTEST_FILTER"} 2>&1 |
    tee "$out/device-tests.log" || status=1
fi
if [[ "$what" == sanitize || "$what" == all ]]; then
  # One variant of each fix-up; the long-context cases are left out (sanitizer speed).
  for tool in memcheck racecheck; do
    mkdir -p /tmp/san && rm -rf /tmp/san/* && cp -r "$carry/artifacts/sm_90_in-kernel" \
      "$carry/artifacts/sm_90_separate" /tmp/san/
    TESSEL_ARTIFACTS=/tmp/san compute-sanitizer --tool "$tool" --error-exitcode 3 \
      "$carry/bin/tessel-device-tests" --gtest_brief=1 \
      --gtest_filter='*RepeatedLaunches*:*CudaGraph*:*Clamped*:*LaneMerged*' 2>&1 |
      tail -n 15 | tee "$out/sanitizer-$tool.log" || status=1
  done
fi
if [[ "$what" == bench || "$what" == all ]]; then
  # Lightest case first (bench/order_cases.py: a heavy case leaves the SM clock low for
  # seconds, which a latency-bound case after it would pay).
  ordered=/tmp/tessel-anchors-ordered.cases
  python3 "$root/bench/order_cases.py" "$carry/bench/models.manifest.json" \
    "$root/bench/anchors.cases" >"$ordered" || status=1
  # And each tool starts after a rest: the peers' lightest case would otherwise follow
  # tessel-bench's heaviest one.
  sleep "${TESSEL_BENCH_REST_S:-20}"
  "$carry/bin/tessel-bench" --artifact "$carry/bench" --cases "$ordered" \
    | tee "$out/tessel-bench.log" || status=1
  sleep "${TESSEL_BENCH_REST_S:-20}"
  python3 "$root/bench/sdpa_compare.py" --manifest "$carry/bench/models.manifest.json" \
    --cases "$ordered" | tee "$out/sdpa.log" || status=1
fi
if [[ "$what" == micro ]]; then
  mkdir -p /tmp/micro
  nvcc -O3 -arch=sm_90 -Xptxas -v -o /tmp/micro/merge_latency \
    "$root/bench/micro/merge_latency.cu" 2>&1 | tee "$out/merge-latency-build.log" &&
    /tmp/micro/merge_latency 2>&1 | tee "$out/merge-latency.log" || status=1
fi
exit $status
