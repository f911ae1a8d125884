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
