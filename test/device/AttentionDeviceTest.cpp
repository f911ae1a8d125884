// Device tests of the attention kernels: every compiled variant (sm_90/sm_80 PTX,
// in-kernel/separate fix-up) and every function in it against the fp64 reference on
// fresh random inputs, with poisoned outputs, ragged and edge lengths; plus
// repeatability, CUDA-graph replay with changed lengths, length clamping and the
// runtime's error paths. Artifacts come from $TESSEL_ARTIFACTS (tools/device/prepare.sh).
#include "runtime/Runtime.h"
#include "runtime/abi/AttentionABI.h"
#include "runtime/schedule/StreamKSchedule.h"
#include "runtime/tessel_runtime.h"
#include "test/device/DeviceSupport.h"
#include "test/reference/RandomProblems.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>

using namespace tessel;
using namespace tessel::device;

namespace {

constexpr int64_t kMaxBatch = 256;
constexpr int64_t kMaxContext = 524288;
/// Relative L2 error allowed against the fp64 reference. bf16 keeps 8 significant bits
/// (unit roundoff 2^-8 = 3.9e-3): the output is rounded to it, and the tensor-core GQA
/// kernels round the softmax weights P to it for P·V, as FlashAttention and cuDNN do —
/// each rounding alone is ~1.2e-3 relative (rms), so 2e-3 is below what bf16 can hold.
double toleranceFor(reference::ElementType type) {
  return type == reference::ElementType::BF16 ? 4e-3 : 2e-3;
}

std::string artifactsRoot() {
  const char *env = std::getenv("TESSEL_ARTIFACTS");
  return env ? env : "artifacts";
}

/// Loaded once per variant directory and kept for the whole run.
rt::Artifact &artifactFor(const std::string &dir) {
  static std::map<std::string, std::unique_ptr<rt::Artifact>> cache;
  auto &slot = cache[dir];
  if (!slot) {
    initCuda();
    rt::LoadOptions options;
    options.maxBatch = kMaxBatch;
    options.maxContext = kMaxContext;
    slot = loadArtifact(dir, options);
  }
  return *slot;
}

struct Outcome {
  std::vector<float> out;
  std::vector<uint8_t> raw;
  double error = 0;
  uint32_t status = 0;
};

/// Inputs of one case, on the host and the device.
struct Case {
  reference::AttentionProblem problem; // with the lengths the reference uses
  reference::ElementType type;
  DeviceMemory q, k, v, lens, out;
  std::vector<double> ref;
};

Case makeCase(const rt::AttentionKernel &kernel, const std::vector<int32_t> &launchLens,
              int64_t maxLen, std::mt19937_64 &rng) {
  const rt::AttentionInfo &info = kernel.info();
  reference::ProblemShape shape{info.qHeads, info.kvHeads, info.qkDim, info.vDim,
                                elementTypeOf(info.elementType)};
  std::vector<int32_t> clamped;
  for (int32_t l : launchLens)
    clamped.push_back(static_cast<int32_t>(std::clamp<int64_t>(l, 0, maxLen)));
  Case c{reference::randomProblem(shape, clamped, rng, maxLen), shape.elementType};
  c.q = upload(encode(c.problem.q, c.type));
  c.k = upload(encode(c.problem.k, c.type));
  c.v = upload(encode(c.problem.v, c.type));
  std::vector<uint8_t> lensBytes(launchLens.size() * 4);
  if (!launchLens.empty())
    std::memcpy(lensBytes.data(), launchLens.data(), lensBytes.size());
  c.lens = upload(lensBytes);
  c.out = DeviceMemory(c.problem.outputSize() * elementBytes(c.type));
  c.ref = reference::referenceAttention(c.problem);
  return c;
}

rt::AttentionArgs argsFor(const Case &c) {
  rt::AttentionArgs a;
  a.buffers = {{"query", {c.q.ptr(), c.q.bytes()}},
               {"key_cache", {c.k.ptr(), c.k.bytes()}},
               {"value_cache", {c.v.ptr(), c.v.bytes()}},
               {"context_lens", {c.lens.ptr(), c.lens.bytes()}},
               {"output", {c.out.ptr(), c.out.bytes()}}};
  a.batch = static_cast<int32_t>(c.problem.batch);
  a.maxLen = static_cast<int32_t>(c.problem.maxLen);
  return a;
}

void poison(const Case &c) {
  check(cuMemsetD8(c.out.ptr(), 0xFF, c.out.bytes()), "poison output"); // NaN
}

Outcome collect(const rt::AttentionKernel &kernel, const Case &c) {
  check(cuCtxSynchronize(), "cuCtxSynchronize after launch");
  Outcome o;
  o.raw = download(c.out);
  o.out = decode(o.raw, c.type);
  o.error = reference::relativeError(o.out, c.ref);
  rt::Error e = kernel.readStatus(o.status, true);
  EXPECT_FALSE(e) << e.message();
  return o;
}

Outcome run(const rt::AttentionKernel &kernel, const Case &c) {
  poison(c);
  rt::Error e = kernel.launch(argsFor(c), nullptr);
  EXPECT_FALSE(e) << e.message();
  return collect(kernel, c);
}

std::string describe(const std::vector<int32_t> &lens) {
  std::string s;
  for (size_t i = 0; i < lens.size() && i < 12; ++i)
    s += (i ? "," : "") + std::to_string(lens[i]);
  if (lens.size() > 12)
    s += ",... (" + std::to_string(lens.size()) + ")";
  return s;
}

/// The first of `dirs` (variant directories under the artifacts root) that prepare.sh did
/// not stage, or "" when all are there: the tests that need a given variant skip with it.
std::string missingVariant(std::initializer_list<std::string> dirs) {
  auto staged = artifactDirs(artifactsRoot());
  for (const std::string &d : dirs)
    if (std::find(staged.begin(), staged.end(), d) == staged.end())
      return d;
  return "";
}

class VariantTest : public ::testing::TestWithParam<std::string> {
protected:
  rt::Artifact &artifact() { return artifactFor(GetParam()); }
};

std::string variantName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = info.param.substr(info.param.find_last_of('/') + 1);
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return name;
}

} // namespace

// Every function, ragged and edge lengths (0, 1, tile-1, tile, tile+1), B = 1..256.
TEST_P(VariantTest, EveryFunctionMatchesTheFp64Reference) {
  uint64_t seed = reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const std::string &name : artifact().functionNames()) {
    const rt::AttentionKernel &k = *artifact().function(name);
    int32_t t = static_cast<int32_t>(k.info().tile);
    std::uniform_int_distribution<int32_t> small(0, 2 * t + 3);
    std::vector<int32_t> b256(256);
    for (int32_t &l : b256)
      l = small(rng);
    std::vector<std::vector<int32_t>> cases = {
        {1}, {t}, {777}, {0, 1, t - 1, t, t + 1, 3 * t + 5}, {1500, 1500, 1500, 1500},
        {0, 0, 0}, b256,
    };
    for (const auto &lens : cases) {
      int64_t maxLen = std::max<int64_t>(1, *std::max_element(lens.begin(), lens.end()));
      Case c = makeCase(k, lens, maxLen, rng);
      Outcome o = run(k, c);
      EXPECT_LE(o.error, toleranceFor(c.type)) << name << " lens " << describe(lens);
      EXPECT_EQ(o.status, 0u) << name;
      bool allEmpty = std::all_of(lens.begin(), lens.end(), [](int32_t l) { return l == 0; });
      if (allEmpty) {
        for (float x : o.out)
          ASSERT_EQ(x, 0.0f) << name << ": empty sequences must give zeros";
      }
    }
  }
}

// Long contexts: 100003 tokens, and one 512k sequence beside short ones.
TEST_P(VariantTest, LongAndSkewedContexts) {
  if (GetParam().find("sm_80") != std::string::npos)
    GTEST_SKIP() << "long contexts run on the sm_90 variants (same kernel source)";
  uint64_t seed = reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  {
    const rt::AttentionKernel *k = artifact().function("llama_f16");
    ASSERT_NE(k, nullptr);
    Case c = makeCase(*k, {100003}, 100003, rng);
    EXPECT_LE(run(*k, c).error, toleranceFor(c.type)) << "llama_f16 L=100003";
  }
  {
    const rt::AttentionKernel *k = artifact().function("group7_d128_f16");
    ASSERT_NE(k, nullptr);
    std::vector<int32_t> lens = {524288, 100, 2000, 1, 0, 4097};
    Case c = makeCase(*k, lens, 524288, rng);
    EXPECT_LE(run(*k, c).error, toleranceFor(c.type)) << "group7 " << describe(lens);
  }
}

// Above 6143 sequences the tile offsets and lengths need more than the default 48 KiB
// of dynamic shared memory: the runtime raises the kernels' limit at load (both kernels
// of the separate fix-up) and the kernels index past 48 KiB.
TEST_P(VariantTest, BatchesBeyond48KiBOfSharedMemory) {
  uint64_t seed = reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr int64_t kBigBatch = 8192;
  ASSERT_GT(tessel::abi::dynamicSharedBytes(kBigBatch), 48 * 1024);
  rt::LoadOptions options;
  options.maxBatch = kBigBatch;
  options.maxContext = 24;
  std::unique_ptr<rt::Artifact> big = loadArtifact(GetParam(), options);
  for (const char *name : {"llama_f16", "mha_d64_f16"}) {
    const rt::AttentionKernel &k = *big->function(name);
    std::uniform_int_distribution<int32_t> len(0, 20);
    std::vector<int32_t> lens(kBigBatch);
    for (int32_t &l : lens)
      l = len(rng);
    lens.back() = 24; // the last sequence's offset and length sit past 48 KiB
    Case c = makeCase(k, lens, 24, rng);
    Outcome o = run(k, c);
    EXPECT_LE(o.error, toleranceFor(c.type)) << name << " B=" << kBigBatch;
    EXPECT_EQ(o.status, 0u) << name;
  }
}

// The default 48 KiB bounds a CTA's static and dynamic shared memory together. The
// batch here is chosen so that the d96 kernel's dynamic part (its K/V ring where the
// layout has one, the offsets and lengths) stays below 48 KiB while its static warp
// states take the sum past it (sm_90: 640 sequences; sm_80, no ring: ~4800). The runtime
// must opt in from the sum (before, it looked at the dynamic part alone, and the load
// found no CTA fitting).
TEST_P(VariantTest, StaticAndDynamicSharedMemoryPastTheDefaultTogether) {
  uint64_t seed = reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr int64_t kContext = 64;
  constexpr size_t kDefault = 48 * 1024;
  rt::LoadOptions options;
  options.maxBatch = 1;
  options.maxContext = kContext;
  const char *name = "dqk96_dv64_f16";
  size_t staticBytes = 0;
  tessel::rt::KernelInfo attention;
  {
    std::unique_ptr<rt::Artifact> one = loadArtifact(GetParam(), options);
    const rt::AttentionKernel &k = *one->function(name);
    attention = k.info().attention;
    staticBytes = k.sharedBytesPerCta() - attention.dynamicSharedBytes(1);
  }
  ASSERT_GT(staticBytes, 16u) << "no static shared memory to straddle the limit with";
  int64_t batch = 1;
  while (attention.dynamicSharedBytes(batch) + staticBytes <= kDefault && batch < 100000)
    ++batch;
  ASSERT_LE(attention.dynamicSharedBytes(batch), kDefault);
  options.maxBatch = batch;
  std::unique_ptr<rt::Artifact> a = loadArtifact(GetParam(), options);
  const rt::AttentionKernel &k = *a->function(name);
  ASSERT_GT(k.sharedBytesPerCta(), kDefault);
  std::uniform_int_distribution<int32_t> len(0, kContext);
  std::vector<int32_t> lens(batch);
  for (int32_t &l : lens)
    l = len(rng);
  lens.back() = kContext; // the last offset and length sit at the top of the array
  Case c = makeCase(k, lens, kContext, rng);
  Outcome o = run(k, c);
  EXPECT_LE(o.error, toleranceFor(c.type)) << name << " B=" << batch;
  EXPECT_EQ(o.status, 0u);
}

// Past the device's opt-in limit no launch could run: the load says so, naming the
// kernel and the bytes, instead of failing at the first launch.
TEST_P(VariantTest, SharedMemoryPastTheDeviceLimitFailsAtLoad) {
  rt::LoadOptions options;
  options.maxBatch = 40000; // 320 KB of offsets and lengths alone
  options.maxContext = 16;
  std::unique_ptr<rt::Artifact> a;
  ArtifactFiles files = artifactFiles(GetParam());
  rt::Error e = rt::Artifact::load(files.ptx, files.manifest, options, a);
  ASSERT_TRUE(e) << "a 320 KB CTA loaded";
  EXPECT_NE(e.message().find("_attention': needs "), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("shared memory per CTA at maxBatch 40000"),
            std::string::npos)
      << e.message();
  EXPECT_NE(e.message().find("lower maxBatch"), std::string::npos) << e.message();
}

// The merge order is fixed: 20 launches give bitwise-identical outputs.
TEST_P(VariantTest, RepeatedLaunchesAreBitwiseIdentical) {
  std::mt19937_64 rng(reference::testSeed());
  const rt::AttentionKernel &k = *artifact().function("llama_f16");
  Case c = makeCase(k, {5000, 3, 700, 129, 20000}, 20000, rng);
  Outcome first = run(k, c);
  ASSERT_LE(first.error, toleranceFor(c.type));
  for (int i = 0; i < 20; ++i) {
    Outcome again = run(k, c);
    ASSERT_EQ(again.raw, first.raw) << "launch " << i << " differs";
  }
}

// A captured decode step stays correct when the lengths change on the device.
TEST_P(VariantTest, CudaGraphReplayWithNewLengths) {
  std::mt19937_64 rng(reference::testSeed());
  const rt::AttentionKernel &k = *artifact().function("llama_bf16");
  Case c = makeCase(k, {300, 5, 4000}, 4096, rng);
  CUstream stream;
  check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  check(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_GLOBAL), "begin capture");
  rt::Error e = k.launch(argsFor(c), stream);
  CUgraph graph;
  check(cuStreamEndCapture(stream, &graph), "end capture");
  ASSERT_FALSE(e) << e.message();
  CUgraphExec exec;
  check(cuGraphInstantiate(&exec, graph, 0), "cuGraphInstantiate");

  poison(c);
  check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
  check(cuStreamSynchronize(stream), "sync");
  EXPECT_LE(collect(k, c).error, toleranceFor(c.type));

  // New lengths, same buffers: only device data changes.
  std::vector<int32_t> next = {4096, 0, 1234};
  check(cuMemcpyHtoD(c.lens.ptr(), next.data(), 12), "update lengths");
  for (size_t b = 0; b < next.size(); ++b)
    c.problem.lens[b] = next[b];
  c.ref = reference::referenceAttention(c.problem);
  poison(c);
  check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
  check(cuStreamSynchronize(stream), "sync");
  EXPECT_LE(collect(k, c).error, toleranceFor(c.type));
  cuGraphExecDestroy(exec);
  cuGraphDestroy(graph);
  cuStreamDestroy(stream);
}

// Lengths outside [0, Nmax] are clamped (no out-of-bounds read) and reported.
TEST_P(VariantTest, OutOfRangeLengthsAreClampedAndReported) {
  std::mt19937_64 rng(reference::testSeed());
  const rt::AttentionKernel &k = *artifact().function("mha_d64_f16");
  Case c = makeCase(k, {-5, 100000, 100}, 2048, rng);
  Outcome o = run(k, c);
  EXPECT_LE(o.error, toleranceFor(c.type));
  EXPECT_EQ(o.status & tessel::abi::kStatusLengthClamped, tessel::abi::kStatusLengthClamped);
  // The status word was cleared by the read.
  Case ok = makeCase(k, {10}, 16, rng);
  EXPECT_EQ(run(k, ok).status, 0u);
}

TEST_P(VariantTest, LaunchValidationNamesTheKernel) {
  std::mt19937_64 rng(1);
  const rt::AttentionKernel &k = *artifact().function("llama_f16");
  Case c = makeCase(k, {10, 20}, 32, rng);
  auto expectError = [&](rt::AttentionArgs a, const std::string &fragment) {
    rt::Error e = k.launch(a, nullptr);
    ASSERT_TRUE(e) << "expected an error containing '" << fragment << "'";
    EXPECT_NE(e.message().find("llama_f16_attention"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(fragment), std::string::npos) << e.message();
  };
  rt::AttentionArgs a = argsFor(c);
  a.buffers.erase("output");
  expectError(a, "missing buffer 'output'");
  a = argsFor(c);
  a.buffers["bias"] = {c.q.ptr(), 16};
  expectError(a, "unknown buffer 'bias'");
  a = argsFor(c);
  a.buffers["key_cache"].bytes -= 2;
  expectError(a, "buffer 'key_cache' has");
  a = argsFor(c);
  a.buffers["query"].ptr += 2;
  expectError(a, "'query' must be 16-byte aligned");
  a = argsFor(c);
  a.batch = kMaxBatch + 1;
  expectError(a, "maxBatch");
  a = argsFor(c);
  a.maxLen = kMaxContext + 1;
  expectError(a, "maxContext");
}

// The in-kernel fix-up (arrival groups merged by their last arrivals) and the separate
// merge kernel merge every split head in the same association: with the same worker
// count their outputs are equal bit for bit.
TEST(FixupStrategies, InKernelAndSeparateAgreeBitwise) {
  const std::string root = artifactsRoot();
  const std::string inKernel = root + "/sm_90_in-kernel-2048-workers";
  const std::string separate = root + "/sm_90_separate-2048-workers";
  if (std::string missing = missingVariant({inKernel, separate}); !missing.empty())
    GTEST_SKIP() << "needs " << missing << " (prepare.sh)";
  std::mt19937_64 rng(reference::testSeed());
  for (const char *name : {"llama_f16", "group7_d128_f16", "mha_d64_f16"}) {
    const rt::AttentionKernel &a = *artifactFor(inKernel).function(name);
    const rt::AttentionKernel &b = *artifactFor(separate).function(name);
    ASSERT_EQ(a.workers(), b.workers());
    // 2048 workers: heads of these lengths are split over 1..70 workers (arrival groups).
    Case c = makeCase(a, {5000, 3, 700, 129, 20000, 64}, 20000, rng);
    Outcome x = run(a, c), y = run(b, c);
    EXPECT_LE(x.error, toleranceFor(c.type)) << name;
    EXPECT_EQ(x.raw, y.raw) << name << ": the two fix-ups differ";
    // kMaxBatch sequences: B x Hkv >= 2048 workers for 8 KV heads, so both kernels pad
    // the heads (schedule::headPadFor) and must agree on where each head begins.
    std::uniform_int_distribution<int32_t> len(0, 1500);
    std::vector<int32_t> many(kMaxBatch);
    for (int32_t &l : many)
      l = len(rng);
    many[7] = 0;
    Case d = makeCase(a, many, 1500, rng);
    Outcome u = run(a, d), v = run(b, d);
    EXPECT_LE(u.error, toleranceFor(d.type)) << name << " B=" << kMaxBatch;
    EXPECT_EQ(u.raw, v.raw) << name << " B=" << kMaxBatch << ": the two fix-ups differ";
  }
}

// Heads split over kLaneMergeMin..kLaneMergeMax workers, one tile each, are merged by
// lanes (schedule::usesLaneMerge): as many participants as the grid allows (33 with 8
// KV heads, 64 with 4: lanes holding a second slot), a full warp of 32, and a partly
// filled one whose conditional loads skip the missing slots, against the reference, and
// both fix-ups bit for bit (the merge kernel runs the same lane merge).
TEST(FixupStrategies, LaneMergedHeadsMatchTheReferenceAndAgreeBitwise) {
  const std::string root = artifactsRoot();
  const std::string inKernel = root + "/sm_90_in-kernel";
  const std::string separate = root + "/sm_90_separate";
  if (std::string missing = missingVariant({inKernel, separate}); !missing.empty())
    GTEST_SKIP() << "needs " << missing << " (prepare.sh)";
  uint64_t seed = reference::testSeed();
  SCOPED_TRACE("TESSEL_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const char *name : {"llama_f16", "gqa4_d128_bf16", "mha_d64_f16"}) {
    const rt::AttentionKernel &a = *artifactFor(inKernel).function(name);
    const rt::AttentionKernel &b = *artifactFor(separate).function(name);
    ASSERT_EQ(a.workers(), b.workers()) << name;
    const int64_t tile = a.info().tile, kvHeads = a.info().kvHeads;
    const int64_t group = a.info().qHeads / kvHeads, vDim = a.info().vDim;
    ASSERT_TRUE(tessel::abi::laneMergeLayout(group, vDim)) << name;
    const int64_t widest = std::min(schedule::kLaneMergeMax, a.workers() / kvHeads);
    ASSERT_GE(widest, schedule::kLaneMergeMin) << name << ": too few workers for the case";
    ASSERT_GT(widest, schedule::kLaneMergeLanes) << name << ": no lane holds two slots";
    for (int64_t n : {widest, schedule::kLaneMergeLanes, schedule::kLaneMergeMin + 4}) {
      // One sequence of n tiles per head (the last one partial): Hkv * n <= workers tiles,
      // one per worker, so every head has n participants in one arrival group.
      int32_t len = static_cast<int32_t>((n - 1) * tile + tile / 2 + 1);
      std::vector<int64_t> lens64 = {len};
      schedule::TileSpace space =
          schedule::buildLaunchSpace(lens64, tile, kvHeads, a.workers());
      int64_t workers = schedule::effectiveWorkers(space.total(), a.workers());
      schedule::Contributors head = schedule::headContributors(space, workers, 0, 0);
      ASSERT_EQ(head.count(), n) << name;
      ASSERT_TRUE(schedule::usesLaneMerge(n, group, vDim)) << name;
      Case c = makeCase(a, {len}, len, rng);
      Outcome x = run(a, c), y = run(b, c);
      EXPECT_LE(x.error, toleranceFor(c.type)) << name << " participants " << n;
      EXPECT_LE(y.error, toleranceFor(c.type)) << name << " participants " << n;
      EXPECT_EQ(x.raw, y.raw) << name << " participants " << n << ": the two fix-ups differ";
    }
  }
}

// A --trace-phases build (prepare.sh: sm_90_in-kernel-trace) computes the same outputs
// as the normal build bit for bit — the trace only adds thread 0's clock stores — and
// writes one sane record per launched CTA: clocks that run forward, an SM id the device
// has, and the segments the CPU schedule gives that worker — on a batch of few heads and
// on one of more heads than workers, whose heads are padded (schedule::headPadFor; a
// worker that starts in a pad skips it, and the segment count must agree).
TEST(PhaseTrace, RecordsEveryCtaWithoutChangingTheOutput) {
  const std::string root = artifactsRoot();
  const std::string traced = root + "/sm_90_in-kernel-trace";
  const std::string plain = root + "/sm_90_in-kernel";
  if (std::string missing = missingVariant({traced, plain}); !missing.empty())
    GTEST_SKIP() << "needs " << missing << " (prepare.sh)";
  int sms = 0;
  CUdevice dev;
  check(cuCtxGetDevice(&dev), "device");
  check(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev), "SMs");
  std::mt19937_64 rng(reference::testSeed());
  std::vector<int32_t> manyHeads(48);
  for (size_t b = 0; b < manyHeads.size(); ++b)
    manyHeads[b] = b % 7 == 3 ? 0 : static_cast<int32_t>(64 << (b % 6)) + int32_t(b);
  manyHeads[5] = 20000;
  for (const char *name : {"llama_f16", "mha_d64_f16"})
    for (const std::vector<int32_t> &lens :
         {std::vector<int32_t>{5000, 0, 700, 129, 20000, 64}, manyHeads}) {
      const rt::AttentionKernel &t = *artifactFor(traced).function(name);
      const rt::AttentionKernel &p = *artifactFor(plain).function(name);
      ASSERT_EQ(t.workers(), p.workers()) << name;
      SCOPED_TRACE("B = " + std::to_string(lens.size()));
      Case c = makeCase(t, lens, 20000, rng);
      Outcome x = run(t, c), y = run(p, c);
      EXPECT_LE(x.error, toleranceFor(c.type)) << name;
      EXPECT_EQ(x.raw, y.raw) << name << ": the trace changed the output";
      std::vector<uint64_t> words;
      rt::Error e = t.readTrace(words);
      ASSERT_FALSE(e) << e.message();
      ASSERT_EQ(words.size(), size_t(t.workers()) * tessel::abi::kTraceWords);
      std::vector<int64_t> lens64(lens.begin(), lens.end());
      schedule::TileSpace space = schedule::buildLaunchSpace(
          lens64, t.info().tile, t.info().kvHeads, t.workers());
      EXPECT_EQ(space.headPad, lens.size() > 6 ? 1 : 0)
          << "the case no longer tests pads";
      int64_t workers = schedule::effectiveWorkers(space.total(), t.workers());
      for (int64_t w = 0; w < t.workers(); ++w) {
        const uint64_t *r = &words[w * tessel::abi::kTraceWords];
        SCOPED_TRACE(std::string(name) + " CTA " + std::to_string(w));
        EXPECT_GT(r[tessel::abi::kTraceEntryGlobalNs], 0u);
        EXPECT_LE(r[tessel::abi::kTraceEntryGlobalNs],
                  r[tessel::abi::kTraceExitGlobalNs]);
        EXPECT_LE(r[tessel::abi::kTraceEntryCycles],
                  r[tessel::abi::kTracePrologueCycles]);
        EXPECT_LE(r[tessel::abi::kTracePrologueCycles], r[tessel::abi::kTraceExitCycles]);
        EXPECT_LT(int64_t(r[tessel::abi::kTraceInfo] & 0xffffffffu), sms);
        size_t segments =
            w < workers ? schedule::workerSegments(space, workers, w).size() : 0;
        EXPECT_EQ(r[tessel::abi::kTraceInfo] >> 32, segments);
        if (segments) {
          EXPECT_LE(r[tessel::abi::kTracePrologueCycles],
                    r[tessel::abi::kTraceStreamedCycles]);
          EXPECT_LE(r[tessel::abi::kTraceStreamedCycles],
                    r[tessel::abi::kTraceFinishedCycles]);
          EXPECT_LE(r[tessel::abi::kTraceFinishedCycles],
                    r[tessel::abi::kTraceExitCycles]);
        }
      }
      rt::Error none = p.readTrace(words);
      ASSERT_TRUE(none);
      EXPECT_NE(none.message().find("kernel '" + p.info().attention.name + "'"),
                std::string::npos)
          << none.message();
      EXPECT_NE(none.message().find("--trace-phases"), std::string::npos)
          << none.message();
    }
}

// Programmatic dependent launch (sm_90 builds, LoadOptions::programmaticLaunch): each
// launch may begin while the previous kernel in the stream finishes, so the kernel must
// wait (griddepcontrol.wait) before it reads anything. Two launches share the workspace
// and the second reads the first one's output as its query: launched back to back with
// no synchronisation, the outputs must equal those of normal, synchronised launches bit
// for bit.
TEST(ProgrammaticLaunch, BackToBackLaunchesSeeThePreviousKernelsWrites) {
  const std::string dir = artifactsRoot() + "/sm_90_in-kernel";
  if (std::string missing = missingVariant({dir}); !missing.empty())
    GTEST_SKIP() << "needs " << missing << " (prepare.sh)";
  initCuda();
  rt::LoadOptions options;
  options.maxBatch = kMaxBatch;
  options.maxContext = kMaxContext;
  options.programmaticLaunch = true;
  std::unique_ptr<rt::Artifact> pdlArtifact = loadArtifact(dir, options);
  const rt::AttentionKernel &pdl = *pdlArtifact->function("llama_f16");
  const rt::AttentionKernel &plain = *artifactFor(dir).function("llama_f16");
  ASSERT_TRUE(pdl.programmaticLaunchEnabled());
  ASSERT_FALSE(plain.programmaticLaunchEnabled());
  ASSERT_EQ(pdl.info().qkDim, pdl.info().vDim); // the output can serve as a query
  std::mt19937_64 rng(reference::testSeed());
  Case a = makeCase(pdl, {3000, 17, 900}, 4096, rng);
  Case b = makeCase(pdl, {129, 4096, 1}, 4096, rng);
  rt::AttentionArgs argsA = argsFor(a), argsB = argsFor(b);
  argsB.buffers["query"] = {a.out.ptr(), a.out.bytes()}; // B reads A's output
  auto sequence = [&](const rt::AttentionKernel &k, bool syncBetween) {
    poison(a);
    poison(b);
    CUstream stream;
    check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    std::vector<uint8_t> outB;
    for (int i = 0; i < 8; ++i) {
      rt::Error e = k.launch(argsA, stream);
      EXPECT_FALSE(e) << e.message();
      if (syncBetween)
        check(cuStreamSynchronize(stream), "sync");
      e = k.launch(argsB, stream);
      EXPECT_FALSE(e) << e.message();
      if (syncBetween)
        check(cuStreamSynchronize(stream), "sync");
    }
    check(cuStreamSynchronize(stream), "sync");
    cuStreamDestroy(stream);
    return std::make_pair(download(a.out), download(b.out));
  };
  auto expected = sequence(plain, true);
  auto got = sequence(pdl, false);
  EXPECT_LE(reference::relativeError(decode(expected.first, a.type), a.ref),
            toleranceFor(a.type));
  EXPECT_EQ(got.first, expected.first) << "the first launch's output differs";
  EXPECT_EQ(got.second, expected.second)
      << "the second launch did not see the first one's output (or its workspace)";
}

INSTANTIATE_TEST_SUITE_P(Artifacts, VariantTest,
                         ::testing::ValuesIn(artifactDirs(artifactsRoot())), variantName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VariantTest);

TEST(RuntimeLoad, BadPtxReportsTheJitLog) {
  initCuda();
  auto dirs = artifactDirs(artifactsRoot());
  ASSERT_FALSE(dirs.empty()) << "no artifacts under " << artifactsRoot();
  // A valid manifest with PTX that does not assemble.
  std::string manifest = readText(artifactFiles(dirs[0]).manifest);
  std::unique_ptr<rt::Artifact> bad;
  rt::Error e = rt::Artifact::loadEmbedded(".version 8.0\n.target sm_90\nthis is not ptx\n",
                                           manifest, {4, 64, 0}, bad);
  ASSERT_TRUE(e);
  EXPECT_NE(e.message().find("cuModuleLoadDataEx failed"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("JIT log"), std::string::npos) << e.message();

  e = rt::Artifact::loadEmbedded("", "{not json", {4, 64, 0}, bad);
  ASSERT_TRUE(e);
  EXPECT_NE(e.message().find("not valid JSON"), std::string::npos) << e.message();
}

TEST(RuntimeCApi, ReportsErrorsAsText) {
  initCuda();
  auto dirs = artifactDirs(artifactsRoot());
  ASSERT_FALSE(dirs.empty());
  const auto [ptx, manifest] = artifactFiles(dirs[0]);
  TesselArtifact *artifact = nullptr;
  char error[512];
  ASSERT_EQ(tesselLoad(ptx.c_str(), manifest.c_str(), 4, 64, &artifact, error, sizeof error),
            0)
      << error;
  EXPECT_NE(tesselAttention(artifact, "no_such_function", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                            16, nullptr, error, sizeof error),
            0);
  EXPECT_NE(std::string(error).find("no function 'no_such_function'"), std::string::npos)
      << error;
  EXPECT_NE(tesselAttention(artifact, "llama_f16", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 16,
                            nullptr, error, sizeof error),
            0);
  EXPECT_NE(std::string(error).find("llama_f16_attention"), std::string::npos) << error;
  tesselRelease(artifact);
  EXPECT_NE(tesselLoad("/nonexistent.ptx", manifest.c_str(), 4, 64, &artifact, error,
                       sizeof error),
            0);
  EXPECT_NE(std::string(error).find("cannot read PTX"), std::string::npos) << error;
}

// tesselLoadWithOptions passes every load option through, and says which functions use
// programmatic dependent launch; bad options are errors with a message.
TEST(RuntimeCApi, LoadsWithOptions) {
  const std::string dir = artifactsRoot() + "/sm_90_in-kernel";
  if (std::string missing = missingVariant({dir}); !missing.empty())
    GTEST_SKIP() << "needs " << missing << " (prepare.sh)";
  initCuda();
  const auto [ptx, manifest] = artifactFiles(dir);
  char error[512];
  for (int pdl : {1, 0}) {
    TesselLoadOptions options{4, 64, 0, pdl};
    TesselArtifact *artifact = nullptr;
    ASSERT_EQ(tesselLoadWithOptions(ptx.c_str(), manifest.c_str(), &options, &artifact, error,
                                    sizeof error),
              0)
        << error;
    int enabled = -1;
    ASSERT_EQ(tesselProgrammaticLaunchEnabled(artifact, "llama_f16", &enabled, error,
                                              sizeof error),
              0)
        << error;
    EXPECT_EQ(enabled, pdl); // the sm_90 build's manifest allows it
    EXPECT_NE(tesselProgrammaticLaunchEnabled(artifact, "llama_f16", nullptr, error,
                                              sizeof error),
              0);
    EXPECT_NE(std::string(error).find("null result pointer"), std::string::npos) << error;
    EXPECT_NE(tesselProgrammaticLaunchEnabled(artifact, "no_such_function", &enabled, error,
                                              sizeof error),
              0);
    EXPECT_NE(std::string(error).find("no function 'no_such_function'"), std::string::npos)
        << error;
    tesselRelease(artifact);
  }
  TesselArtifact *artifact = nullptr;
  EXPECT_NE(tesselLoadWithOptions(ptx.c_str(), manifest.c_str(), nullptr, &artifact, error,
                                  sizeof error),
            0);
  EXPECT_NE(std::string(error).find("null load options"), std::string::npos) << error;
  TesselLoadOptions noBatch{0, 64, 0, 1};
  EXPECT_NE(tesselLoadWithOptions(ptx.c_str(), manifest.c_str(), &noBatch, &artifact, error,
                                  sizeof error),
            0);
  EXPECT_NE(std::string(error).find("maxBatch and maxContext must be >= 1"), std::string::npos)
      << error;
}

#ifdef TESSEL_EMBEDDED_HEADER
#include TESSEL_EMBEDDED_HEADER

// A header written by `tesselc --emit=header` loads with loadEmbedded and runs.
TEST(RuntimeEmbedded, HeaderArtifactMatchesTheReference) {
  initCuda();
  std::unique_ptr<rt::Artifact> artifact;
  rt::Error e = rt::Artifact::loadEmbedded(llama_ptx, llama_manifest, {4, 2048, 0}, artifact);
  ASSERT_FALSE(e) << e.message();
  const rt::AttentionKernel *k = artifact->function("llama3_8b_attention_f16");
  ASSERT_NE(k, nullptr);
  std::mt19937_64 rng(reference::testSeed());
  Case c = makeCase(*k, {300, 0, 1025}, 1025, rng);
  Outcome o = run(*k, c);
  EXPECT_LE(o.error, toleranceFor(c.type));
  EXPECT_EQ(o.status, 0u);
}
#endif
