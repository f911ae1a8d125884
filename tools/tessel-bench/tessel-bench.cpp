// tessel-bench: times Tessel's attention kernels on the GPU machine.
//
// Each case is timed as the median over CUDA-graph replays (each replay = 20 launches,
// like ../shared/bench/ANCHORS.md) with CUDA events, after warm-up. `--l2 cold` (the
// default) replicates small caches and rotates the copies so that a replay reads more
// than the L2 holds — what a decode step sees, where the other layers' caches evict this
// one's; `--l2 warm` reads one copy every launch, so a cache that fits the L2 (50 MB on
// an H100) is served from it. Prints one JSON line per case and a table at the end.
//
//   tessel-bench --artifact DIR [--cases FILE | --case "FUNCTION LENS"]... [--replays N]
//                [--l2 cold|warm] [--trace | --trace-ctas] [--pdl]
//
// `--pdl`: launch with programmatic dependent launch where the artifact allows it (sm_90
// builds): each of a replay's 20 launches may start while the one before finishes.
//
// `--trace` (an artifact compiled with `tesselc --trace-phases`): after timing, the phase
// records of the case's last launch are summarised (TraceSummary.h) into a "trace"
// field of its JSON line. `--trace-ctas` adds "trace_ctas": every CTA's phases
// (TraceSummary.h traceCtasJson), to see which CTAs end late and where they ran.
//
// A case line is `FUNCTION LENS`, LENS a comma list of `L` or `NxL` (N sequences of L).
#include "runtime/Runtime.h"
#include "runtime/schedule/StreamKSchedule.h"
#include "test/device/DeviceSupport.h"
#include "tools/tessel-bench/BenchOptions.h"
#include "tools/tessel-bench/TraceSummary.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace tessel;
using namespace tessel::device;
using tessel::bench::BenchCase;

namespace {

/// Fills device memory with random elements without a host copy of the whole buffer:
/// one random 32 MiB block, copied repeatedly (never zeros: zeros time differently).
void fillRandom(CUdeviceptr dst, size_t bytes, reference::ElementType type) {
  static std::vector<uint8_t> block;
  if (block.empty()) {
    std::mt19937_64 rng(42);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> values((32u << 20) / 2);
    for (float &v : values)
      v = normal(rng);
    block = encode(values, reference::ElementType::F16);
  }
  (void)type; // random bit patterns of f16 values are finite in bf16 and f32 too
  for (size_t off = 0; off < bytes; off += block.size())
    check(cuMemcpyHtoD(dst + off, block.data(), std::min(block.size(), bytes - off)),
          "fill");
}

struct Result {
  double us = 0, tbps = 0, kvMiB = 0;
  std::string trace;     // JSON summary of the last launch's phase trace (--trace)
  std::string traceCtas; // its CTAs, one array each (--trace-ctas)
};

Result timeCase(const rt::AttentionKernel &k, const BenchCase &c, int replays,
                bool warmL2, bool trace, bool traceCtas) {
  const rt::AttentionInfo &info = k.info();
  reference::ElementType type = elementTypeOf(info.elementType);
  size_t e = elementBytes(type);
  int32_t batch = static_cast<int32_t>(c.lens.size());
  int32_t maxLen = *std::max_element(c.lens.begin(), c.lens.end());
  size_t kBytes = size_t(batch) * info.kvHeads * maxLen * info.qkDim * e;
  size_t vBytes = size_t(batch) * info.kvHeads * maxLen * info.vDim * e;
  double needed = 0;
  for (int32_t l : c.lens)
    needed += double(l) * info.kvHeads * (info.qkDim + info.vDim) * e;
  // Cold: rotate copies so one replay (20 launches) streams > 4x the 50 MB L2.
  const int launchesPerReplay = 20;
  int copies = warmL2 ? 1
                      : std::clamp<int>(int(std::ceil(200e6 / std::max(needed, 1.0))), 1,
                                        launchesPerReplay);
  std::vector<DeviceMemory> ks, vs;
  for (int i = 0; i < copies; ++i) {
    ks.emplace_back(kBytes);
    vs.emplace_back(vBytes);
    fillRandom(ks.back().ptr(), kBytes, type);
    fillRandom(vs.back().ptr(), vBytes, type);
  }
  DeviceMemory q(size_t(batch) * info.qHeads * info.qkDim * e);
  fillRandom(q.ptr(), q.bytes(), type);
  DeviceMemory out(size_t(batch) * info.qHeads * info.vDim * e);
  DeviceMemory lens(size_t(batch) * 4);
  check(cuMemcpyHtoD(lens.ptr(), c.lens.data(), lens.bytes()), "lens");

  CUstream stream;
  check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "stream");
  check(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_GLOBAL), "capture");
  for (int i = 0; i < launchesPerReplay; ++i) {
    rt::AttentionArgs a;
    a.buffers = {{"query", {q.ptr(), q.bytes()}},
                 {"key_cache", {ks[i % copies].ptr(), kBytes}},
                 {"value_cache", {vs[i % copies].ptr(), vBytes}},
                 {"context_lens", {lens.ptr(), lens.bytes()}},
                 {"output", {out.ptr(), out.bytes()}}};
    a.batch = batch;
    a.maxLen = maxLen;
    if (rt::Error err = k.launch(a, stream)) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      std::exit(1);
    }
  }
  CUgraph graph;
  check(cuStreamEndCapture(stream, &graph), "end capture");
  CUgraphExec exec;
  check(cuGraphInstantiate(&exec, graph, 0), "instantiate");
  CUevent start, stop;
  check(cuEventCreate(&start, CU_EVENT_DEFAULT), "event");
  check(cuEventCreate(&stop, CU_EVENT_DEFAULT), "event");
  for (int i = 0; i < 3; ++i)
    check(cuGraphLaunch(exec, stream), "warm-up");
  std::vector<double> times;
  for (int r = 0; r < replays; ++r) {
    check(cuEventRecord(start, stream), "record");
    check(cuGraphLaunch(exec, stream), "replay");
    check(cuEventRecord(stop, stream), "record");
    check(cuEventSynchronize(stop), "sync");
    float ms = 0;
    check(cuEventElapsedTime(&ms, start, stop), "elapsed");
    times.push_back(ms * 1000.0 / launchesPerReplay);
  }
  uint32_t status = 0;
  (void)k.readStatus(status, true);
  Result res;
  if (trace) {
    // The records of the replay's last launch, which followed 19 others (L2 cold: on
    // other copies of the caches), as in steady decoding.
    std::vector<uint64_t> words;
    bench::TraceSummary summary;
    std::string error;
    if (rt::Error err = k.readTrace(words)) {
      std::fprintf(stderr, "tessel-bench: %s\n", err.message().c_str());
      std::exit(1);
    }
    if (!bench::summariseTrace(words, summary, error)) {
      std::fprintf(stderr, "tessel-bench: %s: %s\n", c.function.c_str(), error.c_str());
      std::exit(1);
    }
    res.trace = bench::traceSummaryJson(summary);
    if (traceCtas)
      res.traceCtas = bench::traceCtasJson(summary);
  }
  std::sort(times.begin(), times.end());
  res.us = times[times.size() / 2];
  res.tbps = needed / (res.us * 1e-6) / 1e12;
  res.kvMiB = needed / (1 << 20);
  cuGraphExecDestroy(exec);
  cuGraphDestroy(graph);
  cuEventDestroy(start);
  cuEventDestroy(stop);
  cuStreamDestroy(stream);
  return res;
}

} // namespace

int main(int argc, char **argv) {
  bench::BenchOptions options;
  std::string error = bench::parseBenchArgs(std::vector<std::string>(argv + 1, argv + argc),
                                            options);
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }

  initCuda();
  int64_t maxBatch = 1, maxContext = 1;
  for (const BenchCase &c : options.cases) {
    maxBatch = std::max<int64_t>(maxBatch, c.lens.size());
    maxContext = std::max<int64_t>(maxContext, *std::max_element(c.lens.begin(), c.lens.end()));
  }
  std::unique_ptr<rt::Artifact> artifact =
      loadArtifact(options.artifactDir,
                   rt::LoadOptions{maxBatch, maxContext, 0, options.programmaticLaunch});

  std::vector<std::pair<BenchCase, Result>> results;
  for (const BenchCase &c : options.cases) {
    const rt::AttentionKernel *k = artifact->function(c.function);
    if (!k) {
      std::fprintf(stderr, "tessel-bench: no function '%s'\n", c.function.c_str());
      return 1;
    }
    Result r = timeCase(*k, c, options.replays, options.warmL2, options.trace,
                        options.traceCtas);
    const rt::AttentionInfo &info = k->info();
    std::printf(
        "{\"function\": \"%s\", \"batch\": %zu, \"lens\": \"%s\", \"q_heads\": %lld, "
        "\"kv_heads\": %lld, \"qk_dim\": %lld, \"v_dim\": %lld, "
        "\"element_bytes\": %lld, \"fixup\": \"%s\", \"tile\": %lld, "
        "\"workers\": %lld, \"head_pad\": %lld, \"pdl\": %s, \"l2\": \"%s\", \"kv_mib\": "
        "%.1f, "
        "\"us\": %.2f, "
        "\"tbps\": %.3f%s%s%s%s}\n",
        c.function.c_str(), c.lens.size(), c.lensText.c_str(), (long long)info.qHeads,
        (long long)info.kvHeads, (long long)info.qkDim, (long long)info.vDim,
        (long long)info.elementBytes(), info.inKernelFixup ? "in_kernel" : "separate",
        (long long)info.tile, (long long)k->workers(),
        // What the kernels ran: the manifest says whether they pad heads.
        (long long)(info.padsHeads
                        ? schedule::headPadFor(static_cast<int64_t>(c.lens.size()),
                                               info.kvHeads, k->workers())
                        : 0),
        k->programmaticLaunchEnabled() ? "true" : "false",
        options.warmL2 ? "warm" : "cold", r.kvMiB, r.us, r.tbps,
        r.trace.empty() ? "" : ", \"trace\": ", r.trace.c_str(),
        r.traceCtas.empty() ? "" : ", \"trace_ctas\": ", r.traceCtas.c_str());
    std::fflush(stdout);
    results.push_back({c, r});
  }
  std::printf("\n%-22s %-34s %10s %10s %8s\n", "function", "lens", "KV MiB", "us", "TB/s");
  for (auto &[c, r] : results)
    std::printf("%-22s %-34s %10.1f %10.2f %8.3f\n", c.function.c_str(),
                c.lensText.substr(0, 34).c_str(), r.kvMiB, r.us, r.tbps);
  return 0;
}
