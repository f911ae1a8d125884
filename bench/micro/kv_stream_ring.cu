// Micro-benchmark: how fast can 128-thread CTAs stream a K/V cache with the access
// pattern of Tessel's tensor-core decode kernel, (a) into registers with D 16-token
// blocks in flight per warp (the v10 and v17 kernels are D = 2: software-pipelined;
// v10's K fragments read half lines, v17's whole lines), or (b)
// through a per-warp ring of S shared-memory stages filled by cp.async.bulk (the TMA
// engine, no tensor map) completing on an mbarrier? A measurement tool, not part of
// Tessel (whose kernels come from the MLIR emitter); results and what followed (the v15
// ring, slower in the real kernel) are in docs/performance.md and
// docs/measurements/experiments/2026-11-24-kv-stream-micro-h100.log.
//
// Build: nvcc -O3 -arch=sm_90 -o kv_stream_ring kv_stream_ring.cu
// Run:   ./kv_stream_ring [GiB per cache, default 2] [V offset bytes] [quick] [cache]
// Each launch reads K and V once (both larger than the L2 together), CUDA events,
// median of 15 launches. The work split is stream-K's: CTA c takes a contiguous range
// of 16-token blocks, warp w of it blocks w, w + 4, ...
#include "cuda_check.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

constexpr int kWarps = 4, kThreads = 128;
constexpr int kRowBytes = 256;             // 128 dims x 2 bytes
constexpr int kBlockBytes = 16 * kRowBytes; // one 16-token block of K (or of V)

__device__ __forceinline__ uint32_t fold(uint4 v) { return v.x ^ v.y ^ v.z ^ v.w; }

// The v8 fragment pattern of one block, lane (r = lane/4, q = lane%4): K rows r and r+8,
// 16-byte chunks q, q+4, q+8, q+12; V rows 2q, 2q+1, 2q+8, 2q+9, chunks r and r+8.
__device__ __forceinline__ int kOffset(int lane, int j, int v) {
  return (lane / 4 + 8 * j) * kRowBytes + (lane % 4 + 4 * v) * 16;
}
__device__ __forceinline__ int vOffset(int lane, int t, int u) {
  const int tok[4] = {0, 1, 8, 9};
  return (2 * (lane % 4) + tok[t]) * kRowBytes + (lane / 4 + 8 * u) * 16;
}

// The v17 pattern: K in whole lines — lanes 8p..8p+7 (columns 2p, 2p+1) read token
// 4t + p of tile t, chunk 8l + 4 (r % 2) + q of line l; V rows of tokens q + 4e, chunks
// r and r+8 (whole lines, as before).
__device__ __forceinline__ int kOffsetPaired(int lane, int t, int l) {
  const int r = lane / 4, q = lane % 4;
  return (4 * t + r / 2) * kRowBytes + (8 * l + 4 * (r % 2) + q) * 16;
}
__device__ __forceinline__ int vOffsetPaired(int lane, int e, int u) {
  return (lane % 4 + 4 * e) * kRowBytes + (lane / 4 + 8 * u) * 16;
}

// 16-byte global load with a cache qualifier: 0 none, 1 .L2::128B, 2 .L2::256B, 3 .cg
// (L2 only), 4 .cs (streaming), 5 .L1::no_allocate, 6 .nc.L1::no_allocate (read-only path).
#define TESSEL_LDG16(op)                                                                 \
  asm volatile(op " {%0,%1,%2,%3}, [%4];"                                                \
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)                              \
               : "l"(p))
template <int Hint> __device__ __forceinline__ uint4 ldg16(const char *p) {
  uint4 v;
  if constexpr (Hint == 0)
    v = *reinterpret_cast<const uint4 *>(p);
  else if constexpr (Hint == 1)
    TESSEL_LDG16("ld.global.L2::128B.v4.u32");
  else if constexpr (Hint == 2)
    TESSEL_LDG16("ld.global.L2::256B.v4.u32");
  else if constexpr (Hint == 3)
    TESSEL_LDG16("ld.global.cg.v4.u32");
  else if constexpr (Hint == 4)
    TESSEL_LDG16("ld.global.cs.v4.u32");
  else if constexpr (Hint == 5)
    TESSEL_LDG16("ld.global.L1::no_allocate.v4.u32");
  else
    TESSEL_LDG16("ld.global.nc.L1::no_allocate.v4.u32");
  return v;
}
#undef TESSEL_LDG16

struct Frag {
  uint4 k[8], v[8];
};

// Pattern 0: the v10 fragments (K half lines); 1: v17 (K whole lines); 2: v17's K with
// V lane-contiguous (512 bytes per instruction; not a valid fragment layout, a bound).
template <int Hint, int Pattern = 0>
__device__ __forceinline__ void loadGlobal(Frag &f, const char *K, const char *V, long blk,
                                           int lane) {
  const char *kb = K + blk * kBlockBytes, *vb = V + blk * kBlockBytes;
#pragma unroll
  for (int j = 0; j < (Pattern ? 4 : 2); ++j)
#pragma unroll
    for (int v = 0; v < (Pattern ? 2 : 4); ++v)
      f.k[(Pattern ? 2 : 4) * j + v] =
          ldg16<Hint>(kb + (Pattern ? kOffsetPaired(lane, j, v) : kOffset(lane, j, v)));
#pragma unroll
  for (int t = 0; t < 4; ++t)
#pragma unroll
    for (int u = 0; u < 2; ++u)
      f.v[2 * t + u] = ldg16<Hint>(vb + (Pattern == 2 ? (2 * t + u) * 512 + lane * 16
                                         : Pattern == 1 ? vOffsetPaired(lane, t, u)
                                                        : vOffset(lane, t, u)));
}

__device__ __forceinline__ uint32_t consume(const Frag &f) {
  uint32_t a = 0;
#pragma unroll
  for (int i = 0; i < 8; ++i)
    a ^= fold(f.k[i]) + fold(f.v[i]);
  return a;
}

// Lane-contiguous loads (512 contiguous bytes per warp instruction), D = 2 pipelined.
__device__ __forceinline__ void loadLinear(Frag &f, const char *K, const char *V, long blk,
                                           int lane) {
  const uint4 *kb = reinterpret_cast<const uint4 *>(K + blk * kBlockBytes);
  const uint4 *vb = reinterpret_cast<const uint4 *>(V + blk * kBlockBytes);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    f.k[i] = kb[32 * i + lane];
    f.v[i] = vb[32 * i + lane];
  }
}

__global__ void __launch_bounds__(kThreads) linearStream(const char *K, const char *V, long n,
                                                         unsigned *out) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long begin = n * blockIdx.x / gridDim.x, end = n * (blockIdx.x + 1) / gridDim.x;
  Frag buf[2];
  uint32_t acc = 0;
  const long b0 = begin + warp;
  if (b0 < end)
    loadLinear(buf[0], K, V, b0, lane);
  for (long blk = b0; blk < end; blk += 8) {
#pragma unroll
    for (int d = 0; d < 2; ++d) {
      long cur = blk + 4 * d;
      if (cur + 4 < end)
        loadLinear(buf[(d + 1) % 2], K, V, cur + 4, lane);
      if (cur < end)
        acc += consume(buf[d]);
    }
  }
  if (acc == 0x12345678u)
    out[blockIdx.x * kThreads + threadIdx.x] = acc;
}

template <int D, int Hint = 0, int Pattern = 0>
__global__ void __launch_bounds__(kThreads) regStream(const char *K, const char *V, long n,
                                                      unsigned *out) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long begin = n * blockIdx.x / gridDim.x, end = n * (blockIdx.x + 1) / gridDim.x;
  Frag buf[D];
  uint32_t acc = 0;
  const long b0 = begin + warp;
#pragma unroll
  for (int d = 0; d < D - 1; ++d)
    if (b0 + 4 * d < end)
      loadGlobal<Hint, Pattern>(buf[d], K, V, b0 + 4 * d, lane);
  for (long blk = b0; blk < end; blk += 4 * D) {
#pragma unroll
    for (int d = 0; d < D; ++d) {
      long cur = blk + 4 * d, ahead = cur + 4 * (D - 1);
      if (ahead < end)
        loadGlobal<Hint, Pattern>(buf[(d + D - 1) % D], K, V, ahead, lane);
      if (cur < end)
        acc += consume(buf[d]);
    }
  }
  if (acc == 0x12345678u)
    out[blockIdx.x * kThreads + threadIdx.x] = acc;
}

__device__ __forceinline__ uint32_t smemAddr(const void *p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

template <int S>
__global__ void __launch_bounds__(kThreads) bulkStream(const char *K, const char *V, long n,
                                                       unsigned *out) {
  extern __shared__ __align__(128) char smem[];
  __shared__ __align__(8) uint64_t bars[kWarps][S];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long begin = n * blockIdx.x / gridDim.x, end = n * (blockIdx.x + 1) / gridDim.x;
  char *ring = smem + warp * S * 2 * kBlockBytes;
  if (lane == 0) {
    for (int s = 0; s < S; ++s)
      asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smemAddr(&bars[warp][s])));
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  __syncwarp();
  auto issue = [&](int s, long blk) {
    uint32_t bar = smemAddr(&bars[warp][s]);
    uint32_t dst = smemAddr(ring + s * 2 * kBlockBytes);
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar),
                 "r"(2 * kBlockBytes)
                 : "memory");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], "
                 "[%1], %2, [%3];" ::"r"(dst),
                 "l"(K + blk * kBlockBytes), "r"(kBlockBytes), "r"(bar)
                 : "memory");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], "
                 "[%1], %2, [%3];" ::"r"(dst + kBlockBytes),
                 "l"(V + blk * kBlockBytes), "r"(kBlockBytes), "r"(bar)
                 : "memory");
  };
  const long b0 = begin + warp;
  if (lane == 0)
    for (int s = 0; s < S; ++s)
      if (b0 + 4 * s < end)
        issue(s, b0 + 4 * s);
  uint32_t acc = 0;
  int i = 0;
  for (long blk = b0; blk < end; blk += 4, ++i) {
    const int s = i % S;
    const uint32_t parity = (i / S) & 1, bar = smemAddr(&bars[warp][s]);
    uint32_t done = 0;
    while (!done)
      asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; "
                   "selp.u32 %0, 1, 0, p; }"
                   : "=r"(done)
                   : "r"(bar), "r"(parity)
                   : "memory");
    const char *st = ring + s * 2 * kBlockBytes;
    Frag f;
#pragma unroll
    for (int j = 0; j < 2; ++j)
#pragma unroll
      for (int v = 0; v < 4; ++v)
        f.k[4 * j + v] = *reinterpret_cast<const uint4 *>(st + kOffset(lane, j, v));
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int u = 0; u < 2; ++u)
        f.v[2 * t + u] =
            *reinterpret_cast<const uint4 *>(st + kBlockBytes + vOffset(lane, t, u));
    acc += consume(f);
    __syncwarp(); // every lane has read stage s before it is refilled
    if (lane == 0 && blk + 4 * S < end)
      issue(s, blk + 4 * S);
  }
  if (acc == 0x12345678u)
    out[blockIdx.x * kThreads + threadIdx.x] = acc;
}

// cuDNN's structure (its sm80 flash-decode kernel: one 128-thread CTA per SM, K/V tiles
// staged in shared memory by per-thread cp.async): the CTA's range is read in tiles of T
// tokens of K and of V, S tiles in flight, each thread copying 16-byte chunks t, t + 128,
// ... (every warp instruction covers 512 contiguous bytes) and reading them back the
// same way (no bank conflicts). Not a fragment layout: a bound on this structure.
template <int S, int T>
__global__ void __launch_bounds__(kThreads) cpAsyncTileStream(const char *K, const char *V,
                                                              long n, unsigned *out) {
  extern __shared__ __align__(128) char smem[];
  constexpr int kTileBytes = T * kRowBytes, kChunks = kTileBytes / 16 / kThreads;
  constexpr int kBlocksPerTile = T / 16;
  const long begin = n * blockIdx.x / gridDim.x, end = n * (blockIdx.x + 1) / gridDim.x;
  const long tiles = (end - begin + kBlocksPerTile - 1) / kBlocksPerTile;
  const long endByte = end * kBlockBytes;
  auto issue = [&](long tile) {
    if (tile < tiles) {
      const int s = static_cast<int>(tile % S);
      const long base = (begin + tile * kBlocksPerTile) * kBlockBytes;
#pragma unroll
      for (int c = 0; c < kChunks; ++c) {
        const long off = (c * kThreads + threadIdx.x) * 16;
        if (base + off < endByte) {
          uint32_t dk = smemAddr(smem + s * 2 * kTileBytes + off);
          asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(dk),
                       "l"(K + base + off)
                       : "memory");
          asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(dk + kTileBytes),
                       "l"(V + base + off)
                       : "memory");
        }
      }
    }
    asm volatile("cp.async.commit_group;" ::: "memory");
  };
  for (int s = 0; s < S - 1; ++s)
    issue(s);
  uint32_t acc = 0;
  for (long tile = 0; tile < tiles; ++tile) {
    issue(tile + S - 1); // into the stage read at tile - 1 (a barrier ended that tile)
    asm volatile("cp.async.wait_group %0;" ::"n"(S - 1) : "memory");
    __syncthreads();
    const char *st = smem + (tile % S) * 2 * kTileBytes;
    const long base = (begin + tile * kBlocksPerTile) * kBlockBytes;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const long off = (c * kThreads + threadIdx.x) * 16;
      if (base + off < endByte)
        acc += fold(*reinterpret_cast<const uint4 *>(st + off)) ^
               fold(*reinterpret_cast<const uint4 *>(st + kTileBytes + off));
    }
    __syncthreads();
  }
  asm volatile("cp.async.wait_all;" ::: "memory");
  if (acc == 0x12345678u)
    out[blockIdx.x * kThreads + threadIdx.x] = acc;
}

template <typename Kernel>
static void timeIt(const char *name, Kernel kernel, int grid, size_t smem, const char *K,
                   const char *V, long n, unsigned *out, double bytes) {
  if (smem > 48 * 1024)
    CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(smem)));
  int perSm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, kernel, kThreads, smem));
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int i = 0; i < 18; ++i) {
    CHECK(cudaEventRecord(a));
    kernel<<<grid, kThreads, smem>>>(K, V, n, out);
    CHECK(cudaEventRecord(b));
    CHECK(cudaEventSynchronize(b));
    CHECK(cudaGetLastError());
    float t = 0;
    CHECK(cudaEventElapsedTime(&t, a, b));
    if (i >= 3)
      ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  double med = ms[ms.size() / 2];
  std::printf("%-22s grid %4d  resident/SM %d  smem %6zu  %9.1f us  %.3f TB/s\n", name, grid,
              perSm, smem, med * 1e3, bytes / (med * 1e-3) / 1e12);
}

int main(int argc, char **argv) {
  double gib = argc > 1 ? std::atof(argv[1]) : 2.0;
  size_t cacheBytes = static_cast<size_t>(gib * (1ull << 30)) / kBlockBytes * kBlockBytes;
  long n = static_cast<long>(cacheBytes / kBlockBytes);
  char *K = nullptr, *V = nullptr;
  unsigned *out = nullptr;
  CHECK(cudaMalloc(&K, cacheBytes));
  size_t vShift = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 0;
  CHECK(cudaMalloc(&V, cacheBytes + vShift));
  V += vShift; // V's distance from K in bytes, to look for DRAM bank aliasing
  CHECK(cudaMalloc(&out, 4096 * kThreads * sizeof(unsigned)));
  CHECK(cudaMemset(K, 1, cacheBytes));
  CHECK(cudaMemset(V, 2, cacheBytes));
  std::printf("V base - K base = %lld bytes (shift %zu)\n",
              static_cast<long long>(V - K), vShift);
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  double bytes = 2.0 * cacheBytes;
  std::printf("K and V %.2f GiB each, %d SMs\n", gib, sms);
  const bool quick = argc > 3;
  // "cache": also the v17 pattern with cache operators and the cuDNN-like cp.async tiles.
  const bool cacheOps = argc > 4 && std::string(argv[4]) == "cache";
  for (int rep = 0; rep < 2; ++rep) {
    if (!quick)
      for (int ctas : {2, 3})
        timeIt("registers D=1", regStream<1>, ctas * sms, 0, K, V, n, out, bytes);
    timeIt("registers D=2 (v10)", regStream<2>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("registers D=2 v17", regStream<2, 0, 1>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("v17 K, linear V D=2", regStream<2, 0, 2>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("registers D=2 L2::128B", regStream<2, 1>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("registers D=2 L2::256B", regStream<2, 2>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("linear D=2", linearStream, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("linear D=2", linearStream, 128, 0, K, V, n, out, bytes);
    if (!quick)
      timeIt("registers D=3", regStream<3>, 2 * sms, 0, K, V, n, out, bytes);
    timeIt("bulk ring S=2", bulkStream<2>, 2 * sms, kWarps * 2 * 2 * kBlockBytes, K, V, n,
           out, bytes);
    timeIt("bulk ring S=3", bulkStream<3>, 2 * sms, kWarps * 3 * 2 * kBlockBytes, K, V, n,
           out, bytes);
    timeIt("bulk ring S=4", bulkStream<4>, 1 * sms, kWarps * 4 * 2 * kBlockBytes, K, V, n,
           out, bytes);
    timeIt("bulk ring S=4", bulkStream<4>, 128, kWarps * 4 * 2 * kBlockBytes, K, V, n, out,
           bytes);
    if (cacheOps) {
      timeIt("v17 D=2 .cg", regStream<2, 3, 1>, 2 * sms, 0, K, V, n, out, bytes);
      timeIt("v17 D=2 .cs", regStream<2, 4, 1>, 2 * sms, 0, K, V, n, out, bytes);
      timeIt("v17 D=2 L1::no_alloc", regStream<2, 5, 1>, 2 * sms, 0, K, V, n, out, bytes);
      timeIt("v17 D=2 .nc no_alloc", regStream<2, 6, 1>, 2 * sms, 0, K, V, n, out, bytes);
      // cuDNN-like CTA-wide cp.async tiles: S stages of T tokens of K and V.
      timeIt("cp.async S=4 T=64", cpAsyncTileStream<4, 64>, sms, 4 * 2 * 64 * kRowBytes, K,
             V, n, out, bytes);
      timeIt("cp.async S=4 T=64", cpAsyncTileStream<4, 64>, 128, 4 * 2 * 64 * kRowBytes, K,
             V, n, out, bytes);
      timeIt("cp.async S=3 T=128", cpAsyncTileStream<3, 128>, sms, 3 * 2 * 128 * kRowBytes,
             K, V, n, out, bytes);
      timeIt("cp.async S=3 T=128", cpAsyncTileStream<3, 128>, 128, 3 * 2 * 128 * kRowBytes,
             K, V, n, out, bytes);
      timeIt("cp.async S=6 T=64", cpAsyncTileStream<6, 64>, sms, 6 * 2 * 64 * kRowBytes, K,
             V, n, out, bytes);
      timeIt("cp.async S=2 T=64", cpAsyncTileStream<2, 64>, 2 * sms, 2 * 2 * 64 * kRowBytes,
             K, V, n, out, bytes);
      timeIt("cp.async S=3 T=32", cpAsyncTileStream<3, 32>, 2 * sms, 3 * 2 * 32 * kRowBytes,
             K, V, n, out, bytes);
    }
  }
  return 0;
}
