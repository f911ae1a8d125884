// The kernel ABI of Tessel's decode-attention kernels: parameter order, workspace layout
// and status bits. The compiler emits kernels with exactly these parameters, the
// manifest lists them by these names, and the runtime binds them: one definition for all
// three. MLIR-free. docs/ABI.md explains it for engine authors.
#ifndef TESSEL_RUNTIME_ABI_ATTENTIONABI_H
#define TESSEL_RUNTIME_ABI_ATTENTIONABI_H

#include <array>
#include <cstdint>

namespace tessel::abi {

enum class ParamKind { Buffer, Scalar, Workspace };

struct Param {
  const char *name;
  ParamKind kind;
  const char *type;    // "f16" etc. for buffers is the manifest's business; here: C type
  const char *meaning;
};

/// The stream-K attention kernel `<name>_attention`. Grid: `workers` CTAs
/// (SMs x resident CTAs per SM unless requested); block: kBlockThreads.
inline constexpr std::array<Param, 8> kAttentionParams = {{
    {"query", ParamKind::Buffer, "elem*", "[B, Hq, Dqk] query rows"},
    {"key_cache", ParamKind::Buffer, "elem*", "[B, Hkv, Nmax, Dqk] keys"},
    {"value_cache", ParamKind::Buffer, "elem*", "[B, Hkv, Nmax, Dv] values"},
    {"context_lens", ParamKind::Buffer, "int32*", "[B] tokens per sequence (device data)"},
    {"output", ParamKind::Buffer, "elem*", "[B, Hq, Dv] attention output"},
    {"workspace", ParamKind::Workspace, "uint8*", "arrival counters + partial softmax states"},
    {"status", ParamKind::Workspace, "uint32*", "error bits (kStatus*), OR-ed by kernels"},
    {"batch", ParamKind::Scalar, "int32", "B"},
}};
// Nmax (the cache's token stride) is passed after batch; kept separate so that the
// array above reads as the buffer list.
inline constexpr Param kMaxLenParam = {"max_len", ParamKind::Scalar, "int32",
                                       "Nmax, the token capacity of each cache row"};

/// The merge kernel `<name>_merge` of the `separate` fix-up. Grid: B * Hkv CTAs.
inline constexpr std::array<Param, 6> kMergeParams = {{
    {"context_lens", ParamKind::Buffer, "int32*", "[B]"},
    {"output", ParamKind::Buffer, "elem*", "[B, Hq, Dv]"},
    {"workspace", ParamKind::Workspace, "uint8*", "partial softmax states"},
    {"batch", ParamKind::Scalar, "int32", "B"},
    {"max_len", ParamKind::Scalar, "int32", "Nmax"},
    {"workers", ParamKind::Scalar, "int32", "grid size of the attention kernel"},
}};

inline constexpr int kBlockThreads = 128;
inline constexpr int kWarps = kBlockThreads / 32;

/// Status bits. kStatusLengthClamped: some context length was < 0 or > Nmax and was
/// clamped into [0, Nmax] (no out-of-bounds read happens; the output for that sequence
/// is attention over the clamped range).
inline constexpr uint32_t kStatusLengthClamped = 1u;
/// Bit 2 is reserved: kernels before v7 set it when a bounded fix-up wait timed out;
/// the in-kernel fix-up no longer waits.

/// Dynamic shared memory of both kernels: the tile offsets (B + 1 i32) and the clamped
/// lengths (B i32), 16-byte aligned. The attention kernel of a tensor-core layout with a
/// K/V ring has the ring (kvRingBytes) in front of them; the manifest's
/// `dynamic_shared_memory` says how many bytes each kernel takes.
/// The same as the manifest's `dynamic_shared_memory` fields: base (the offsets' extra
/// i32, plus the ring's bytes where there is one), bytes per sequence, alignment.
inline constexpr int64_t kSharedBaseBytes = 4, kSharedPerSequenceBytes = 8,
                         kSharedAlignBytes = 16;
inline int64_t dynamicSharedBytes(int64_t batch) {
  return (kSharedBaseBytes + kSharedPerSequenceBytes * batch + kSharedAlignBytes - 1) /
         kSharedAlignBytes * kSharedAlignBytes;
}
/// Tokens per stage of the tensor-core loop's K/V ring: one 16-token block per warp.
inline constexpr int64_t kRingStageTokens = 16 * kWarps;
/// The K/V ring: `stages` stages of kRingStageTokens K and V rows (0 stages: no ring).
inline int64_t kvRingBytes(int64_t stages, int64_t qkDim, int64_t vDim, int64_t elemBytes) {
  return stages * kRingStageTokens * (qkDim + vDim) * elemBytes;
}
/// Ring depths the compiler accepts: 0 (no ring) or 2..kMaxKvRingStages. One stage
/// could not copy while the warps compute; 4 stages of d128 f16 (128 KiB) already leave
/// one CTA per SM.
inline constexpr int64_t kMaxKvRingStages = 4;
inline constexpr bool isValidKvRingStages(int64_t stages) {
  return stages == 0 || (stages >= 2 && stages <= kMaxKvRingStages);
}

/// Workspace layout (in_kernel only: the counters):
/// [head counters: one u32 per launched worker, padded to 16 bytes]
/// [arrival-group counters: one u32 per launched worker, padded to 16 bytes]
/// [slots: each m[group], l[group] (f32, padded to 16 bytes), o[group][Dv] (f32, padded to
/// 16 bytes)]. Counters must be zero before the first launch; kernels leave them zero.
inline int64_t counterRegionBytes(int64_t workers) { return (workers * 4 + 15) / 16 * 16; }
inline int64_t counterBytes(bool inKernel, int64_t workers) {
  return inKernel ? 2 * counterRegionBytes(workers) : 0;
}
/// Offset of o in a slot: m and l padded to 16 bytes, so o is read and written with
/// 16-byte accesses.
inline int64_t slotOFloats(int64_t group) { return (2 * group + 3) / 4 * 4; }
inline int64_t slotFloats(int64_t group, int64_t vDim) {
  return slotOFloats(group) + (group * vDim + 3) / 4 * 4;
}

/// How the kernels spread a merged [group, Dv] softmax state over a CTA's threads (the
/// emitter's ElementState): chunks of stateChunkElems consecutive elements, chunk k of
/// thread t starting at (t + k * kBlockThreads) * stateChunkElems — 4 elements (16-byte
/// slot accesses) once that still gives every thread a chunk, else fewer (an MHA head's
/// 128 elements stay spread over the 128 threads).
inline int64_t stateChunkElems(int64_t group, int64_t vDim) {
  int64_t n = 4;
  while (n > 1 && group * vDim / n < kBlockThreads)
    n /= 2;
  return n;
}
inline int64_t stateChunksPerThread(int64_t group, int64_t vDim) {
  return (group * vDim / stateChunkElems(group, vDim) + kBlockThreads - 1) / kBlockThreads;
}
/// Whether every warp's chunk lies in one head (so a warp shares one m and l per slot)
/// and each thread has one chunk: what the lane merge (schedule::usesLaneMerge) needs.
inline bool laneMergeLayout(int64_t group, int64_t vDim) {
  return stateChunksPerThread(group, vDim) == 1 &&
         vDim % (32 * stateChunkElems(group, vDim)) == 0;
}

/// Phase trace (compiled with `--trace-phases`, a diagnostic build): thread 0 of every
/// launched CTA writes one record of kTraceWords u64 words after the workspace's slots
/// (at schedule::workspaceBytes of the launched grid; the runtime allocates
/// workers * kTraceRecordBytes more). Every launch overwrites the records; the runtime's
/// readTrace copies them back. `clock64` values are SM cycles (one SM's counter: compare
/// them only within a record); `globaltimer` values are nanoseconds, the same clock on
/// every SM.
enum TraceWord : int {
  kTraceEntryGlobalNs = 0,  // globaltimer when the CTA starts
  kTraceEntryCycles = 1,    // clock64 when the CTA starts
  kTracePrologueCycles = 2, // lengths loaded, tile offsets prefix-summed, empties zeroed
  kTraceStreamedCycles = 3, // first segment's K/V streamed and the warps' states combined
  kTraceFinishedCycles = 4, // first segment finished: output, or slot + arrival (+ merge)
  kTraceExitCycles = 5,     // every segment done
  kTraceExitGlobalNs = 6,   // globaltimer at the end
  kTraceInfo = 7,           // SM id (bits 0..31) | segments walked (bits 32..63)
  kTraceWords = 8,
};
inline constexpr int64_t kTraceRecordBytes = kTraceWords * 8;
/// The words' names in the manifest's `trace.words`, in TraceWord order.
inline constexpr std::array<const char *, kTraceWords> kTraceWordNames = {
    "entry_global_ns", "entry_cycles",   "prologue_cycles", "streamed_cycles",
    "finished_cycles", "exit_cycles",    "exit_global_ns",  "smid_and_segments"};

} // namespace tessel::abi

#endif
