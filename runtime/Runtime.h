// Tessel's runtime: loads a compiled artifact (PTX + manifest) with the CUDA driver API
// and launches its attention kernels on the caller's stream.
//
// Contract (docs/ABI.md): load() queries the device, fixes the worker count and
// allocates + zeroes the workspace for the declared maxima; launch() validates the
// arguments, binds buffers by name, enqueues the kernel(s) and returns — it allocates
// nothing and never synchronises, so a decode step can be captured in a CUDA graph.
// Context lengths stay on the device; a length outside [0, Nmax] is clamped by the
// kernel and reported through the status word (readStatus).
#ifndef TESSEL_RUNTIME_RUNTIME_H
#define TESSEL_RUNTIME_RUNTIME_H

#include "runtime/Manifest.h"

#include <cuda.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessel::rt {

/// An error value: empty message = success. Messages name the kernel and, for CUDA
/// failures, CUDA's error name and text.
class Error {
public:
  Error() = default;
  static Error failure(std::string message) {
    Error e;
    e.text = std::move(message);
    return e;
  }
  explicit operator bool() const { return !text.empty(); }
  const std::string &message() const { return text; }

private:
  std::string text;
};

struct LoadOptions {
  int64_t maxBatch = 1;   // largest B any launch will use
  int64_t maxContext = 0; // largest Nmax (cache capacity in tokens) any launch will use
  int device = 0;         // used when no CUDA context is current
  /// Launch the attention kernels that support it (sm_90 builds: the manifest's
  /// `programmatic_launch`) with programmatic dependent launch: the launch may begin
  /// while the previous kernel in the stream finishes; the kernel waits for it
  /// (griddepcontrol.wait) before reading anything. Also inside CUDA graphs captured
  /// from the stream. Kernels without the flag are launched normally.
  bool programmaticLaunch = false;
};

struct DeviceBuffer {
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
};

struct AttentionArgs {
  /// By name: query, key_cache, value_cache, context_lens, output.
  std::map<std::string, DeviceBuffer> buffers;
  int32_t batch = 0;  // B
  int32_t maxLen = 0; // Nmax: the token capacity (row stride) of the caches
};

class AttentionKernel {
public:
  const AttentionInfo &info() const { return spec; }
  /// CTAs of the attention kernel (fixed at load).
  int64_t workers() const { return numWorkers; }
  /// Whether launch() uses programmatic dependent launch (LoadOptions and manifest).
  bool programmaticLaunchEnabled() const { return programmaticLaunch; }
  /// Enqueues one decode step on `stream`.
  Error launch(const AttentionArgs &args, CUstream stream) const;
  /// Copies the status word to the host (synchronous; not for the hot path) and clears
  /// it if asked. Bits: abi::kStatusLengthClamped.
  Error readStatus(uint32_t &status, bool clear = true) const;
  /// Bytes of workspace allocated for this kernel (flags + partial states, + the phase
  /// trace in a --trace-phases build).
  size_t workspaceBytes() const { return workspaceSize; }
  /// Shared memory of one attention CTA at maxBatch: static (warp states) plus dynamic
  /// (K/V ring, tile offsets and lengths). Above 48 KiB the runtime has opted in.
  size_t sharedBytesPerCta() const { return sharedPerCta; }
  /// A --trace-phases build: copies the last launch's trace records (workers() records
  /// of abi::kTraceWords words, abi::TraceWord) to the host, synchronously. An error for
  /// artifacts compiled without the trace.
  Error readTrace(std::vector<uint64_t> &words) const;

private:
  friend class Artifact;
  Error validate(const AttentionArgs &args) const;
  AttentionInfo spec;
  std::string label; // "kernel '<name>'", built once at load for error messages
  CUfunction attention = nullptr, merge = nullptr;
  int64_t numWorkers = 0;
  int64_t maxBatch = 0, maxContext = 0;
  bool programmaticLaunch = false; // LoadOptions::programmaticLaunch and the kernel allows it
  CUdeviceptr workspace = 0, status = 0;
  size_t workspaceSize = 0;
  size_t sharedPerCta = 0;
  size_t traceOffset = 0; // where the trace records start in the workspace
};

class Artifact {
public:
  static Error load(const std::string &ptxPath, const std::string &manifestPath,
                    const LoadOptions &options, std::unique_ptr<Artifact> &out);
  static Error loadEmbedded(const std::string &ptx, const std::string &manifestJson,
                            const LoadOptions &options, std::unique_ptr<Artifact> &out);
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  /// nullptr when the artifact has no function of that name.
  const AttentionKernel *function(const std::string &name) const;
  std::vector<std::string> functionNames() const;
  const Manifest &manifest() const { return meta; }

private:
  Artifact() = default;
  Manifest meta;
  CUcontext context = nullptr;
  CUmodule module = nullptr;
  std::vector<std::unique_ptr<AttentionKernel>> kernels;
};

/// "CUDA_ERROR_X: text" for a driver result.
std::string describeCudaError(CUresult result);

} // namespace tessel::rt

#endif
