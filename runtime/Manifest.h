// The launch manifest written by tesselc, as the runtime reads it. Parsing is strict:
// every missing or ill-typed field is an error naming the field.
#ifndef TESSEL_RUNTIME_MANIFEST_H
#define TESSEL_RUNTIME_MANIFEST_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel::rt {

struct KernelInfo {
  std::string name;
  std::string role; // "attention" | "merge"
  int64_t block = 0;
  int64_t requestedWorkers = 0; // attention kernels only
  int64_t maxCtasPerSm = 0;     // attention kernels only: the default grid's cap per SM
  /// Attention kernels only: the phase trace's bytes per launched worker after the
  /// workspace (0, or abi::kTraceRecordBytes in a --trace-phases build).
  int64_t traceBytesPerWorker = 0;
  /// Attention kernels only: it starts with griddepcontrol.wait, so it may be launched
  /// with programmatic dependent launch (sm_90 builds).
  bool programmaticLaunch = false;
  /// Dynamic shared memory: align(baseBytes + perSequenceBytes * B, alignBytes).
  int64_t sharedBaseBytes = 0, sharedPerSequenceBytes = 0, sharedAlignBytes = 16;
  int64_t dynamicSharedBytes(int64_t batch) const {
    int64_t raw = sharedBaseBytes + sharedPerSequenceBytes * batch;
    return (raw + sharedAlignBytes - 1) / sharedAlignBytes * sharedAlignBytes;
  }
  std::vector<std::string> params;
};

struct AttentionInfo {
  std::string name;
  std::string elementType; // "f16" | "bf16" | "f32"
  int64_t qHeads = 0, kvHeads = 0, qkDim = 0, vDim = 0, tile = 0;
  bool inKernelFixup = true;
  /// The kernels pad heads (schedule::headPadFor; manifest `head_pad` =
  /// "heads_ge_workers", tesselc since v38); false: "none" or absent (older artifacts).
  bool padsHeads = false;
  std::optional<int64_t> staticBatch, staticMaxLen;
  KernelInfo attention;
  std::optional<KernelInfo> merge;
  int64_t elementBytes() const { return elementType == "f32" ? 4 : 2; }
  int64_t group() const { return qHeads / kvHeads; }
};

struct Manifest {
  std::string name;
  std::string ptxFile;
  std::string target;
  std::vector<AttentionInfo> functions;
};

/// Parses manifest JSON. Returns std::nullopt and sets `error` on failure.
std::optional<Manifest> parseManifest(const std::string &json, std::string &error);

} // namespace tessel::rt

#endif
