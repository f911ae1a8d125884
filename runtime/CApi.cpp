#include "runtime/Runtime.h"
#include "runtime/tessel_runtime.h"

#include <cstring>

struct TesselArtifact {
  std::unique_ptr<tessel::rt::Artifact> artifact;
};

namespace {

int report(const tessel::rt::Error &e, char *error, size_t len) {
  if (!e)
    return 0;
  if (error && len > 0) {
    std::strncpy(error, e.message().c_str(), len - 1);
    error[len - 1] = '\0';
  }
  return 1;
}

using Loader = tessel::rt::Error (*)(const std::string &, const std::string &,
                                     const tessel::rt::LoadOptions &,
                                     std::unique_ptr<tessel::rt::Artifact> &);

int loadWith(Loader loader, const char *a, const char *b,
             const tessel::rt::LoadOptions &options, TesselArtifact **out, char *error,
             size_t len) {
  if (!a || !b || !out)
    return report(tessel::rt::Error::failure("null argument"), error, len);
  auto holder = std::make_unique<TesselArtifact>();
  if (int rc = report(loader(a, b, options, holder->artifact), error, len))
    return rc;
  *out = holder.release();
  return 0;
}

tessel::rt::LoadOptions sizesOnly(int64_t maxBatch, int64_t maxContext) {
  tessel::rt::LoadOptions options;
  options.maxBatch = maxBatch;
  options.maxContext = maxContext;
  return options;
}

int loadWithOptions(Loader loader, const char *a, const char *b,
                    const TesselLoadOptions *c, TesselArtifact **out, char *error,
                    size_t len) {
  if (!c)
    return report(tessel::rt::Error::failure("null load options"), error, len);
  tessel::rt::LoadOptions options = sizesOnly(c->max_batch, c->max_context);
  options.device = c->device;
  options.programmaticLaunch = c->programmatic_launch != 0;
  return loadWith(loader, a, b, options, out, error, len);
}

const tessel::rt::AttentionKernel *lookup(const TesselArtifact *artifact,
                                          const char *function, char *error, size_t len) {
  if (!artifact || !function) {
    report(tessel::rt::Error::failure("null artifact or function name"), error, len);
    return nullptr;
  }
  const tessel::rt::AttentionKernel *k = artifact->artifact->function(function);
  if (!k)
    report(tessel::rt::Error::failure(std::string("no function '") + function +
                                      "' in the artifact"),
           error, len);
  return k;
}

} // namespace

extern "C" {

int tesselLoad(const char *ptxPath, const char *manifestPath, int64_t maxBatch,
               int64_t maxContext, TesselArtifact **out, char *error, size_t len) {
  return loadWith(&tessel::rt::Artifact::load, ptxPath, manifestPath,
                  sizesOnly(maxBatch, maxContext), out, error, len);
}

int tesselLoadEmbedded(const char *ptx, const char *manifest, int64_t maxBatch,
                       int64_t maxContext, TesselArtifact **out, char *error, size_t len) {
  return loadWith(&tessel::rt::Artifact::loadEmbedded, ptx, manifest,
                  sizesOnly(maxBatch, maxContext), out, error, len);
}

int tesselLoadWithOptions(const char *ptxPath, const char *manifestPath,
                          const TesselLoadOptions *options, TesselArtifact **out, char *error,
                          size_t len) {
  return loadWithOptions(&tessel::rt::Artifact::load, ptxPath, manifestPath, options, out,
                         error, len);
}

int tesselLoadEmbeddedWithOptions(const char *ptx, const char *manifest,
                                  const TesselLoadOptions *options, TesselArtifact **out,
                                  char *error, size_t len) {
  return loadWithOptions(&tessel::rt::Artifact::loadEmbedded, ptx, manifest, options, out,
                         error, len);
}

int tesselProgrammaticLaunchEnabled(const TesselArtifact *artifact, const char *function,
                                    int *enabled, char *error, size_t len) {
  const tessel::rt::AttentionKernel *kernel = lookup(artifact, function, error, len);
  if (!kernel)
    return 1;
  if (!enabled)
    return report(tessel::rt::Error::failure("null result pointer"), error, len);
  *enabled = kernel->programmaticLaunchEnabled() ? 1 : 0;
  return 0;
}

int tesselAttention(const TesselArtifact *artifact, const char *function, CUdeviceptr q,
                    size_t qBytes, CUdeviceptr k, size_t kBytes, CUdeviceptr v,
                    size_t vBytes, CUdeviceptr lens, size_t lensBytes, CUdeviceptr out,
                    size_t outBytes, int32_t batch, int32_t maxLen, CUstream stream,
                    char *error, size_t len) {
  const tessel::rt::AttentionKernel *kernel = lookup(artifact, function, error, len);
  if (!kernel)
    return 1;
  tessel::rt::AttentionArgs args;
  args.buffers = {{"query", {q, qBytes}},
                  {"key_cache", {k, kBytes}},
                  {"value_cache", {v, vBytes}},
                  {"context_lens", {lens, lensBytes}},
                  {"output", {out, outBytes}}};
  args.batch = batch;
  args.maxLen = maxLen;
  return report(kernel->launch(args, stream), error, len);
}

int tesselReadStatus(const TesselArtifact *artifact, const char *function, uint32_t *status,
                     char *error, size_t len) {
  const tessel::rt::AttentionKernel *kernel = lookup(artifact, function, error, len);
  if (!kernel)
    return 1;
  if (!status)
    return report(tessel::rt::Error::failure("null status pointer"), error, len);
  return report(kernel->readStatus(*status, true), error, len);
}

void tesselRelease(TesselArtifact *artifact) { delete artifact; }

} // extern "C"
