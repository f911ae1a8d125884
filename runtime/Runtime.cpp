#include "runtime/Runtime.h"

#include "runtime/abi/AttentionABI.h"
#include "runtime/schedule/StreamKSchedule.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tessel::rt {

std::string describeCudaError(CUresult result) {
  const char *name = nullptr, *text = nullptr;
  cuGetErrorName(result, &name);
  cuGetErrorString(result, &text);
  return std::string(name ? name : "CUDA_ERROR_UNKNOWN") + ": " +
         (text ? text : "unknown error");
}

namespace {

/// Shared memory a CTA may use (static and dynamic together) without opting in.
constexpr size_t kDefaultSharedPerCta = 48 * 1024;

Error cudaFailure(const std::string &what, const std::string &call, CUresult r) {
  return Error::failure(what + ": " + call + " failed: " + describeCudaError(r));
}

#define TESSEL_CU(what, call)                                                          \
  do {                                                                                 \
    CUresult r_ = (call);                                                              \
    if (r_ != CUDA_SUCCESS)                                                            \
      return cudaFailure(what, #call, r_);                                             \
  } while (0)

bool readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

} // namespace

Error Artifact::load(const std::string &ptxPath, const std::string &manifestPath,
                     const LoadOptions &options, std::unique_ptr<Artifact> &out) {
  std::string ptx, manifest;
  if (!readFile(manifestPath, manifest))
    return Error::failure("cannot read manifest '" + manifestPath + "'");
  if (!readFile(ptxPath, ptx))
    return Error::failure("cannot read PTX '" + ptxPath + "'");
  return loadEmbedded(ptx, manifest, options, out);
}

Error Artifact::loadEmbedded(const std::string &ptx, const std::string &manifestJson,
                             const LoadOptions &options, std::unique_ptr<Artifact> &out) {
  std::string parseError;
  std::optional<Manifest> manifest = parseManifest(manifestJson, parseError);
  if (!manifest)
    return Error::failure(parseError);
  if (options.maxBatch < 1 || options.maxContext < 1)
    return Error::failure("load options: maxBatch and maxContext must be >= 1");

  std::unique_ptr<Artifact> artifact(new Artifact());
  artifact->meta = std::move(*manifest);
  const std::string where = "artifact '" + artifact->meta.name + "'";
  TESSEL_CU(where, cuInit(0));
  CUcontext current = nullptr;
  TESSEL_CU(where, cuCtxGetCurrent(&current));
  if (!current) {
    CUdevice device;
    TESSEL_CU(where, cuDeviceGet(&device, options.device));
    TESSEL_CU(where, cuDevicePrimaryCtxRetain(&current, device));
    TESSEL_CU(where, cuCtxSetCurrent(current));
  }
  artifact->context = current;
  CUdevice device;
  TESSEL_CU(where, cuCtxGetDevice(&device));

  // JIT the PTX, keeping the driver's log for the error message.
  char errorLog[8192] = {0}, infoLog[8192] = {0};
  CUjit_option jitOptions[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                               CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *jitValues[] = {errorLog, reinterpret_cast<void *>(sizeof(errorLog)), infoLog,
                       reinterpret_cast<void *>(sizeof(infoLog))};
  CUresult loaded = cuModuleLoadDataEx(&artifact->module, ptx.c_str(), 4, jitOptions,
                                       jitValues);
  if (loaded != CUDA_SUCCESS)
    return Error::failure(where + ": cuModuleLoadDataEx failed: " +
                          describeCudaError(loaded) + "\nJIT log:\n" + errorLog);

  int sms = 0, maxSharedPerCta = 0;
  TESSEL_CU(where, cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                        device));
  TESSEL_CU(where, cuDeviceGetAttribute(
                       &maxSharedPerCta,
                       CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device));
  for (const AttentionInfo &info : artifact->meta.functions) {
    auto k = std::make_unique<AttentionKernel>();
    k->spec = info;
    k->label = "kernel '" + info.attention.name + "'";
    k->maxBatch = options.maxBatch;
    k->maxContext = options.maxContext;
    k->programmaticLaunch = options.programmaticLaunch && info.attention.programmaticLaunch;
    const std::string &kw = k->label;
    // Looks a kernel up and allows it the largest launch's dynamic shared memory (the
    // attention kernel's K/V ring included). The default 48 KiB per CTA bounds static and
    // dynamic shared memory together, so a kernel whose static part (warp states) and
    // dynamic part pass it must opt in even when the dynamic part alone does not (the
    // d96 ring kernel of the device tests at maxBatch 342..1023); past the device's
    // opt-in limit no launch could run, which is said here rather than at launch.
    // `sharedPerCta`, where given, receives the CTA's static + dynamic bytes.
    auto loadFunction = [&](CUfunction *f, const KernelInfo &kernel,
                            size_t *sharedPerCta) -> Error {
      const std::string label = "kernel '" + kernel.name + "'";
      TESSEL_CU(label, cuModuleGetFunction(f, artifact->module, kernel.name.c_str()));
      size_t bytes = kernel.dynamicSharedBytes(options.maxBatch);
      int staticBytes = 0;
      TESSEL_CU(label, cuFuncGetAttribute(&staticBytes,
                                          CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, *f));
      size_t perCta = bytes + static_cast<size_t>(staticBytes);
      if (perCta > static_cast<size_t>(maxSharedPerCta))
        return Error::failure(label + ": needs " + std::to_string(staticBytes) +
                              " bytes of static and " + std::to_string(bytes) +
                              " bytes of dynamic shared memory per CTA at maxBatch " +
                              std::to_string(options.maxBatch) + "; the device allows " +
                              std::to_string(maxSharedPerCta) + " (lower maxBatch)");
      if (perCta > kDefaultSharedPerCta)
        TESSEL_CU(label, cuFuncSetAttribute(*f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                            static_cast<int>(bytes)));
      if (sharedPerCta)
        *sharedPerCta = perCta;
      return Error();
    };
    if (Error e = loadFunction(&k->attention, info.attention, &k->sharedPerCta))
      return e;
    if (info.merge)
      if (Error e = loadFunction(&k->merge, *info.merge, nullptr))
        return e;
    size_t smem = info.attention.dynamicSharedBytes(options.maxBatch);
    int perSm = 0;
    TESSEL_CU(kw, cuOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, k->attention,
                                                              abi::kBlockThreads, smem));
    if (perSm < 1)
      return Error::failure(kw + ": no CTA fits on an SM with " + std::to_string(smem) +
                            " bytes of dynamic shared memory (maxBatch " +
                            std::to_string(options.maxBatch) + ")");
    // The grid the cost model planned for: ptxas may fit more CTAs than it assumed.
    int64_t capacity = static_cast<int64_t>(sms) *
                       std::min<int64_t>(perSm, info.attention.maxCtasPerSm);
    k->numWorkers = info.attention.requestedWorkers > 0 ? info.attention.requestedWorkers
                                                        : capacity;
    // More workers than resident CTAs are fine: the in-kernel fix-up never waits on
    // another worker (the last to arrive merges), so later CTAs just start later.
    k->workspaceSize = schedule::workspaceBytes(
        info.inKernelFixup ? schedule::Fixup::InKernel : schedule::Fixup::Separate,
        k->numWorkers, info.group(), info.vDim);
    k->traceOffset = k->workspaceSize;
    k->workspaceSize += k->numWorkers * info.attention.traceBytesPerWorker;
    TESSEL_CU(kw, cuMemAlloc(&k->workspace, k->workspaceSize));
    TESSEL_CU(kw, cuMemsetD8(k->workspace, 0, k->workspaceSize));
    TESSEL_CU(kw, cuMemAlloc(&k->status, 4));
    TESSEL_CU(kw, cuMemsetD8(k->status, 0, 4));
    artifact->kernels.push_back(std::move(k));
  }
  out = std::move(artifact);
  return Error();
}

Artifact::~Artifact() {
  for (auto &k : kernels) {
    if (k->workspace)
      cuMemFree(k->workspace);
    if (k->status)
      cuMemFree(k->status);
  }
  if (module)
    cuModuleUnload(module);
}

const AttentionKernel *Artifact::function(const std::string &name) const {
  for (const auto &k : kernels)
    if (k->info().name == name)
      return k.get();
  return nullptr;
}

std::vector<std::string> Artifact::functionNames() const {
  std::vector<std::string> names;
  for (const auto &k : kernels)
    names.push_back(k->info().name);
  return names;
}

Error AttentionKernel::launch(const AttentionArgs &args, CUstream stream) const {
  const std::string &kw = label;
  if (Error e = validate(args))
    return e;
  if (args.batch == 0)
    return Error(); // nothing to compute

  CUdeviceptr q = args.buffers.at("query").ptr, k = args.buffers.at("key_cache").ptr;
  CUdeviceptr v = args.buffers.at("value_cache").ptr;
  CUdeviceptr lens = args.buffers.at("context_lens").ptr;
  CUdeviceptr out = args.buffers.at("output").ptr;
  CUdeviceptr ws = workspace, st = status;
  int32_t batch = args.batch, maxLen = args.maxLen;
  int32_t launchedWorkers = static_cast<int32_t>(numWorkers);
  unsigned smem = static_cast<unsigned>(spec.attention.dynamicSharedBytes(batch));

  void *params[] = {&q, &k, &v, &lens, &out, &ws, &st, &batch, &maxLen};
  // Without attributes cuLaunchKernelEx is cuLaunchKernel.
  CUlaunchAttribute pdl{};
  pdl.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  pdl.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig config{};
  config.gridDimX = static_cast<unsigned>(numWorkers);
  config.gridDimY = config.gridDimZ = 1;
  config.blockDimX = abi::kBlockThreads;
  config.blockDimY = config.blockDimZ = 1;
  config.sharedMemBytes = smem;
  config.hStream = stream;
  config.attrs = &pdl;
  config.numAttrs = programmaticLaunch ? 1 : 0;
  TESSEL_CU(kw, cuLaunchKernelEx(&config, attention, params, nullptr));
  if (merge) {
    void *mergeParams[] = {&lens, &out, &ws, &batch, &maxLen, &launchedWorkers};
    unsigned grid = static_cast<unsigned>(batch * spec.kvHeads);
    unsigned mergeSmem = static_cast<unsigned>(spec.merge->dynamicSharedBytes(batch));
    TESSEL_CU("kernel '" + spec.merge->name + "'",
              cuLaunchKernel(merge, grid, 1, 1, abi::kBlockThreads, 1, 1, mergeSmem, stream,
                             mergeParams, nullptr));
  }
  return Error();
}

Error AttentionKernel::validate(const AttentionArgs &args) const {
  const std::string &kw = label;
  static const char *const names[] = {"query", "key_cache", "value_cache", "context_lens",
                                      "output"};
  for (const char *name : names)
    if (!args.buffers.count(name))
      return Error::failure(kw + ": missing buffer '" + name + "'");
  for (const auto &[name, buf] : args.buffers) {
    bool known = false;
    for (const char *n : names)
      known |= name == n;
    if (!known)
      return Error::failure(kw + ": unknown buffer '" + name +
                            "' (expected query, key_cache, value_cache, context_lens, "
                            "output)");
  }
  if (args.batch < 0 || args.batch > maxBatch)
    return Error::failure(kw + ": batch " + std::to_string(args.batch) +
                          " is outside [0, maxBatch = " + std::to_string(maxBatch) +
                          "] declared at load");
  if (args.maxLen < 1 || args.maxLen > maxContext)
    return Error::failure(kw + ": Nmax " + std::to_string(args.maxLen) +
                          " is outside [1, maxContext = " + std::to_string(maxContext) +
                          "] declared at load");
  if (spec.staticBatch && *spec.staticBatch != args.batch)
    return Error::failure(kw + ": compiled for batch " + std::to_string(*spec.staticBatch) +
                          ", launched with " + std::to_string(args.batch));
  if (spec.staticMaxLen && *spec.staticMaxLen != args.maxLen)
    return Error::failure(kw + ": compiled for Nmax " + std::to_string(*spec.staticMaxLen) +
                          ", launched with " + std::to_string(args.maxLen));
  const size_t e = spec.elementBytes(), B = args.batch, N = args.maxLen;
  struct Need {
    const char *name;
    size_t bytes;
    size_t align;
  } needs[] = {
      {"query", B * spec.qHeads * spec.qkDim * e, 16},
      {"key_cache", B * spec.kvHeads * N * spec.qkDim * e, 16},
      {"value_cache", B * spec.kvHeads * N * spec.vDim * e, 16},
      {"context_lens", B * 4, 4},
      {"output", B * spec.qHeads * spec.vDim * e, 2},
  };
  for (const Need &n : needs) {
    const DeviceBuffer &buf = args.buffers.at(n.name);
    if (B > 0 && buf.ptr == 0)
      return Error::failure(kw + ": buffer '" + n.name + "' is null");
    if (buf.bytes < n.bytes)
      return Error::failure(kw + ": buffer '" + n.name + "' has " +
                            std::to_string(buf.bytes) + " bytes, needs " +
                            std::to_string(n.bytes) + " (batch " + std::to_string(B) +
                            ", Nmax " + std::to_string(N) + ")");
    if (buf.ptr % n.align)
      return Error::failure(kw + ": buffer '" + n.name + "' must be " +
                            std::to_string(n.align) + "-byte aligned");
  }
  return Error();
}

Error AttentionKernel::readTrace(std::vector<uint64_t> &words) const {
  if (spec.attention.traceBytesPerWorker == 0)
    return Error::failure(label + ": no phase trace (compile with tesselc --trace-phases)");
  words.assign(static_cast<size_t>(numWorkers) * abi::kTraceWords, 0);
  TESSEL_CU(label, cuMemcpyDtoH(words.data(), workspace + traceOffset,
                                words.size() * sizeof(uint64_t)));
  return Error();
}

Error AttentionKernel::readStatus(uint32_t &value, bool clear) const {
  const std::string &kw = label;
  TESSEL_CU(kw, cuMemcpyDtoH(&value, status, 4));
  if (clear)
    TESSEL_CU(kw, cuMemsetD8(status, 0, 4));
  return Error();
}

} // namespace tessel::rt
