/* C API of the Tessel runtime, for engines not written in C++. Every call returns 0 on
 * success; on failure it returns non-zero and writes a NUL-terminated message (naming
 * the kernel and CUDA's error) into `error` (at most `error_len` bytes). */
#ifndef TESSEL_RUNTIME_TESSEL_RUNTIME_H
#define TESSEL_RUNTIME_TESSEL_RUNTIME_H

#include <cuda.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct TesselArtifact TesselArtifact;

/* What tesselLoadWithOptions takes (the C++ API's tessel::rt::LoadOptions). */
typedef struct TesselLoadOptions {
  int64_t max_batch;       /* largest B any launch will use (>= 1) */
  int64_t max_context;     /* largest Nmax any launch will use (>= 1) */
  int device;              /* CUDA device when no context is current */
  int programmatic_launch; /* non-zero: launch the kernels that allow it (sm_90 builds)
                              with programmatic dependent launch (docs/ABI.md) */
} TesselLoadOptions;

/* tesselLoad and tesselLoadEmbedded with every load option; options must not be NULL. */
int tesselLoadWithOptions(const char *ptx_path, const char *manifest_path,
                          const TesselLoadOptions *options, TesselArtifact **out,
                          char *error, size_t error_len);
int tesselLoadEmbeddedWithOptions(const char *ptx, const char *manifest_json,
                                  const TesselLoadOptions *options, TesselArtifact **out,
                                  char *error, size_t error_len);
/* Whether `function`'s launches use programmatic dependent launch (*enabled = 0 or 1). */
int tesselProgrammaticLaunchEnabled(const TesselArtifact *artifact, const char *function,
                                    int *enabled, char *error, size_t error_len);

int tesselLoad(const char *ptx_path, const char *manifest_path, int64_t max_batch,
               int64_t max_context, TesselArtifact **out, char *error, size_t error_len);
int tesselLoadEmbedded(const char *ptx, const char *manifest_json, int64_t max_batch,
                       int64_t max_context, TesselArtifact **out, char *error,
                       size_t error_len);
/* One decode step of `function` (a name from the manifest) on `stream`. Sizes are in
 * bytes; pointers must be 16-byte aligned (context_lens: 4). */
int tesselAttention(const TesselArtifact *artifact, const char *function,
                    CUdeviceptr query, size_t query_bytes, CUdeviceptr key_cache,
                    size_t key_bytes, CUdeviceptr value_cache, size_t value_bytes,
                    CUdeviceptr context_lens, size_t lens_bytes, CUdeviceptr output,
                    size_t output_bytes, int32_t batch, int32_t max_len, CUstream stream,
                    char *error, size_t error_len);
/* Reads (and clears) the device status word of `function`: bit 0 = a length was clamped. */
int tesselReadStatus(const TesselArtifact *artifact, const char *function, uint32_t *status,
                     char *error, size_t error_len);
void tesselRelease(TesselArtifact *artifact);

#ifdef __cplusplus
}
#endif

#endif
