#!/usr/bin/env bash
# On the GPU machine (which has ptxas and nvdisasm; the build machine has no
# disassembler): the SASS of one kernel of each variant, to read what ptxas made of the
# PTX (load widths, waits, barriers, the loop's schedule) before spending device time.
#   tools/device/sass.sh KERNEL VARIANT...
# Each VARIANT is a directory under .device-carry/var/ holding a tesselc artifact (as for
# ab.sh). One file per variant: $OUT/sass-VARIANT.txt (ptxas -v's line for the kernel,
# then its disassembly). KERNEL is the entry's full name, e.g. gqa8_f16_attention.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
carry="$root/.device-carry"
out="${OUT:-/tmp/tessel-out}"
if (($# < 2)); then
  echo "usage: $0 KERNEL VARIANT..." >&2
  exit 2
fi
kernel="$1"
shift
mkdir -p "$out"
status=0
for v in "$@"; do
  ptx=$(ls "$carry/var/$v"/*.ptx 2>/dev/null | head -n 1)
  if [[ -z "$ptx" ]]; then
    echo "sass.sh: no PTX in $carry/var/$v" >&2
    status=1
    continue
  fi
  target=$(sed -n 's/^\.target \(sm_[0-9a-z]*\).*/\1/p' "$ptx" | head -n 1)
  cubin="/tmp/sass-$v.cubin"
  {
    ptxas -arch="$target" -v "$ptx" -o "$cubin" 2>&1 |
      grep -A 2 "entry function '$kernel'" || echo "sass.sh: no entry '$kernel' in $ptx"
    nvdisasm -c -fun "$kernel" "$cubin" 2>&1 ||
      cuobjdump -sass -fun "$kernel" "$cubin" 2>&1
  } >"$out/sass-$v.txt" || status=1
  echo "$v: $(grep -c '^\s*/\*[0-9a-f]*\*/' "$out/sass-$v.txt") instructions -> $out/sass-$v.txt"
done
exit $status
