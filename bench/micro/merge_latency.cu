// Micro-benchmark: what does the in-kernel fix-up's last merge wait for? The merger CTA
// reads P partial slots in Tessel's slot layout (abi::slotFloats: m[G], l[G], o[G * Dv]
// floats; G = 4, Dv = 128 as gqa8's) and merges them into slot 0's state in batches of 8,
// the next batch loaded while one is merged, with the arithmetic of v28's mergeChunk
// (tree max, one ex2 per part, fma weighted sums) on one float4 chunk per thread — the
// structure whose cost docs/performance.md measures at ~0.55 us per batch on the H200
// whatever its bytes or load schedule (v24-v30). The modes separate the candidates:
//   fresh   P other CTAs (one per SM) write the slots and arrive at a counter with a
//           release add; the merger acquires the count and merges: the kernel's case.
//   stale   the slots were written by an earlier launch; the merger only merges.
//   own     the merger writes the P slots itself, fences, then merges.
//   nomath  fresh, but the batch's parts are only summed (no max, no ex2): the loads and
//           their dependent adds alone.
//   bulk    fresh; thread 0 copies all P slots into shared memory with one cp.async.bulk
//           each (the TMA engine) on one mbarrier, then the same merge from shared memory.
//   bulkcp  bulk's copy alone: how fast one SM takes in P slots others just wrote.
//   cpasync fresh; all 128 threads copy all P slots into shared memory with 16-byte
//           cp.async.ca, one commit group, then the same merge from shared memory.
//   lanes   fresh; the state up front: lane j of each warp loads m and l of slot j, one warp
//           max and ex2 per lane give every slot's factor, a warp sum gives l; then o is a
//           plain fma sum over the slots (factor by shuffle), in batches of 8 float4 loaded
//           one batch ahead — no rescale between batches, 1 load per slot instead of 3.
//   lanes16 the same, batches of 16.
//   lanes32 the same, all P <= 32 slots' o loads issued at once (predicated on j < P),
//           overlapping the state's loads and shuffles.
//   chase   fresh; thread 0 alone, P dependent 4-byte loads, one per slot: the L2 round
//           trip (reported per load in the last column).
// Per mode and P: the median over launches of the merger's span from "all arrived" to
// "merged" (globaltimer ns and clock64 cycles), and a check of the merged output
// against a double-precision reference (fresh, stale, own).
//
// A measurement tool, not part of Tessel (whose kernels come from the MLIR emitter).
// Build: nvcc -O3 -arch=sm_90 -o merge_latency merge_latency.cu
// Run:   ./merge_latency [launches per point, default 31]
#include "cuda_check.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

constexpr int kThreads = 128, kG = 4, kDv = 128;
constexpr int kOAt = (2 * kG + 3) / 4 * 4;          // abi::slotOFloats(4) = 8
constexpr int kSlotFloats = kOAt + kG * kDv;        // abi::slotFloats(4, 128) = 520
constexpr int kBatch = 8;                           // schedule::kFixupMergeBatch
constexpr int kMaxSlots = 64;
// One CTA per SM: the writers sit on other SMs than the merger, as in the kernel, and
// all CTAs are resident at once (the merger spins on them).
constexpr int kSmemBytes = 120 * 1024;

enum Mode {
  Fresh, Stale, Own, NoMath, Bulk, BulkCopy, CpAsync, Lanes, Lanes16, Lanes32, Chase, kModes
};
const char *modeName(int m) {
  const char *names[] = {"fresh",   "stale", "own",   "nomath",  "bulk",    "bulkcp",
                         "cpasync", "lanes", "lanes16", "lanes32", "chase"};
  return names[m];
}
// Modes whose slots other CTAs write in the same launch.
__host__ __device__ inline bool writtenByOthers(int m) { return m != Stale && m != Own; }
// Modes that merge (and are checked against the reference).
__host__ __device__ inline bool merges(int m) { return m != NoMath && m != BulkCopy && m != Chase; }

// The value each writer stores: a function of (slot, float index), the same on the host.
__host__ __device__ inline float slotValue(int slot, int i) {
  if (i < kG) // m: spread over a few units so that the rescale factors vary
    return 0.25f * ((slot * 37 + i * 11) % 17) - 2.0f;
  if (i < 2 * kG) // l > 0
    return 1.0f + 0.25f * ((slot * 3 + i) % 7);
  return ((slot * 13 + i * 7) % 101) / 50.0f - 1.0f;
}

__device__ __forceinline__ float ex2(float x) {
  float y;
  asm volatile("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
__device__ __forceinline__ long long globalNs() {
  long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ unsigned loadAcquire(const unsigned *p) {
  unsigned v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ void addRelease(unsigned *p, unsigned v) {
  asm volatile("red.release.gpu.global.add.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

__device__ __forceinline__ uint32_t smemAddr(const void *p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// All P slots into shared memory `dst` by the TMA engine: thread 0 issues one
// cp.async.bulk per slot on one mbarrier; every thread waits for the bytes.
__device__ void bulkCopySlots(const float *slots, int P, float *dst, uint64_t *bar) {
  const uint32_t b = smemAddr(bar);
  constexpr uint32_t kSlotBytes = kSlotFloats * sizeof(float); // 2080: a multiple of 16
  if (threadIdx.x == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(b) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    // The slots were written through the generic proxy; the copies read through the async one.
    asm volatile("fence.proxy.async.global;" ::: "memory");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(b),
                 "r"(P * kSlotBytes)
                 : "memory");
    for (int s = 0; s < P; ++s)
      asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], "
                   "[%1], %2, [%3];" ::"r"(smemAddr(dst + s * kSlotFloats)),
                   "l"(slots + s * kSlotFloats), "r"(kSlotBytes), "r"(b)
                   : "memory");
  }
  __syncthreads(); // the barrier is initialised before anyone waits on it
  uint32_t done = 0;
  while (!done)
    asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], 0; "
                 "selp.u32 %0, 1, 0, p; }"
                 : "=r"(done)
                 : "r"(b)
                 : "memory");
}

// All P slots into shared memory by all threads, 16 bytes per cp.async.ca, one group.
__device__ void cpAsyncCopySlots(const float *slots, int P, float *dst) {
  for (int i = threadIdx.x; i < P * kSlotFloats / 4; i += kThreads)
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16;" ::"r"(smemAddr(dst + 4 * i)),
                 "l"(slots + 4 * i)
                 : "memory");
  asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;" ::: "memory");
  __syncthreads();
}

// P dependent loads by one thread, one from each slot: the index of the next load depends
// on the value of this one (its sign bit, always 0 here, which the compiler cannot know).
__device__ float chaseSlots(const float *slots, int P) {
  int off = 0;
  float v = 0;
  for (int s = 0; s < P; ++s) {
    v = __ldcg(slots + s * kSlotFloats + kG + off); // l > 0
    off = (__float_as_int(v) >> 31) & 1;
  }
  return v;
}

// This thread's float4 chunk of a slot: m and l of its head, o at element e.
struct Part {
  float m, l;
  float4 o;
};
__device__ __forceinline__ Part loadPart(const float *slot, int h, int e) {
  Part p;
  p.m = slot[h];
  p.l = slot[kG + h];
  p.o = *reinterpret_cast<const float4 *>(slot + kOAt + e);
  return p;
}

__device__ void writeSlotOf(float *slots, int s) {
  for (int i = threadIdx.x; i < kSlotFloats; i += kThreads)
    slots[s * kSlotFloats + i] = slotValue(s, i);
}

// mergeChunk of v28: one max over the state and the batch, one ex2 per part, fma sums.
template <bool Math>
__device__ __forceinline__ void mergeBatch(float &m, float &l, float4 &o, const Part *p) {
  if (!Math) {
    for (int u = 0; u < kBatch; ++u) {
      m = fmaxf(m, p[u].m);
      l += p[u].l;
      o.x += p[u].o.x, o.y += p[u].o.y, o.z += p[u].o.z, o.w += p[u].o.w;
    }
    return;
  }
  float a = fmaxf(fmaxf(p[0].m, p[1].m), fmaxf(p[2].m, p[3].m));
  float b = fmaxf(fmaxf(p[4].m, p[5].m), fmaxf(p[6].m, p[7].m));
  float mx = fmaxf(m, fmaxf(a, b));
  float f0 = ex2(m - mx);
  l *= f0;
  o.x *= f0, o.y *= f0, o.z *= f0, o.w *= f0;
  for (int u = 0; u < kBatch; ++u) {
    float f = ex2(p[u].m - mx);
    l = fmaf(p[u].l, f, l);
    o.x = fmaf(p[u].o.x, f, o.x), o.y = fmaf(p[u].o.y, f, o.y);
    o.z = fmaf(p[u].o.z, f, o.z), o.w = fmaf(p[u].o.w, f, o.w);
  }
  m = mx;
}

// The merged state's output: o / l as the kernel's epilogue divides (and m, l for the
// check).
__device__ __forceinline__ void writeMerged(float *out, int e, int h, float m, float l,
                                            float4 o) {
  const float inv = 1.0f / l;
  *reinterpret_cast<float4 *>(out + e) = make_float4(o.x * inv, o.y * inv, o.z * inv, o.w * inv);
  if (e % kDv == 0) {
    out[kG * kDv + h] = m;
    out[kG * kDv + kG + h] = l;
  }
}

// The lanes modes' state: lane j < P holds slot j's m and l of head h (else -inf, 0).
__device__ __forceinline__ void loadLaneState(const float *slots, int P, int h, int lane,
                                              float &mj, float &lj) {
  mj = -INFINITY, lj = 0;
  if (lane < P) {
    mj = slots[lane * kSlotFloats + h];
    lj = slots[lane * kSlotFloats + kG + h];
  }
}

// From the lanes' state: the warp max mx, this lane's factor fj (0 past the slots) and
// the butterfly sum l of the weighted l.
__device__ __forceinline__ void laneFactors(float mj, float lj, bool inSlots, float &mx,
                                            float &fj, float &l) {
  mx = mj;
  for (int d = 16; d > 0; d /= 2)
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, d));
  fj = inSlots ? ex2(mj - mx) : 0.0f;
  l = fj * lj;
  for (int d = 16; d > 0; d /= 2)
    l += __shfl_xor_sync(0xffffffffu, l, d);
}

// Slots 1..P-1 merged into slot 0's state, batches of kBatch, the next batch loaded
// before the current one is merged (padded parts: a copy of slot P-1 with m = -inf).
template <bool Math>
__device__ void mergeSlots(const float *slots, int P, float *out) {
  const int e = 4 * threadIdx.x, h = e / kDv;
  Part s = loadPart(slots, h, e);
  float m = s.m, l = s.l;
  float4 o = s.o;
  Part cur[kBatch], next[kBatch];
  auto load = [&](Part *dst, int j0) {
    for (int u = 0; u < kBatch; ++u) {
      int j = min(j0 + u, P - 1);
      dst[u] = loadPart(slots + j * kSlotFloats, h, e);
      if (j0 + u > P - 1)
        dst[u].m = -INFINITY;
    }
  };
  load(cur, 1);
  for (int j0 = 1; j0 < P; j0 += kBatch) {
    if (j0 + kBatch < P)
      load(next, j0 + kBatch);
    mergeBatch<Math>(m, l, o, cur);
    for (int u = 0; u < kBatch; ++u)
      cur[u] = next[u];
  }
  writeMerged(out, e, h, m, l, o);
}

// The lanes modes: every slot's factor first (one lane per slot, P <= 32), then o as one
// fma sum over the slots in batches of B float4, the next batch loaded before this one is
// summed.
template <int B>
__device__ void mergeLanes(const float *slots, int P, float *out) {
  const int e = 4 * threadIdx.x, h = e / kDv, lane = threadIdx.x % 32;
  float mj, lj;
  loadLaneState(slots, P, h, lane, mj, lj);
  float4 cur[B], next[B];
  auto load = [&](float4 *dst, int j0) {
    for (int u = 0; u < B; ++u)
      dst[u] = *reinterpret_cast<const float4 *>(slots + min(j0 + u, P - 1) * kSlotFloats +
                                                 kOAt + e);
  };
  load(cur, 0);
  float mx, fj, l;
  laneFactors(mj, lj, lane < P, mx, fj, l);
  float4 o = make_float4(0, 0, 0, 0);
  for (int j0 = 0; j0 < P; j0 += B) {
    if (j0 + B < P)
      load(next, j0 + B);
    for (int u = 0; u < B; ++u) {
      const float f = __shfl_sync(0xffffffffu, fj, (j0 + u) & 31);
      const float fu = j0 + u < P ? f : 0.0f;
      o.x = fmaf(cur[u].x, fu, o.x), o.y = fmaf(cur[u].y, fu, o.y);
      o.z = fmaf(cur[u].z, fu, o.z), o.w = fmaf(cur[u].w, fu, o.w);
    }
    for (int u = 0; u < B; ++u)
      cur[u] = next[u];
  }
  writeMerged(out, e, h, mx, l, o);
}

// lanes32: every o load at once, predicated (slots past P are not read).
__device__ void mergeLanesAll(const float *slots, int P, float *out) {
  const int e = 4 * threadIdx.x, h = e / kDv, lane = threadIdx.x % 32;
  float4 o4[32];
#pragma unroll
  for (int j = 0; j < 32; ++j)
    o4[j] = j < P ? *reinterpret_cast<const float4 *>(slots + j * kSlotFloats + kOAt + e)
                  : make_float4(0, 0, 0, 0);
  float mj, lj;
  loadLaneState(slots, P, h, lane, mj, lj);
  float mx, fj, l;
  laneFactors(mj, lj, lane < P, mx, fj, l);
  float4 o = make_float4(0, 0, 0, 0);
#pragma unroll
  for (int j = 0; j < 32; ++j) {
    const float f = __shfl_sync(0xffffffffu, fj, j);
    o.x = fmaf(o4[j].x, f, o.x), o.y = fmaf(o4[j].y, f, o.y);
    o.z = fmaf(o4[j].z, f, o.z), o.w = fmaf(o4[j].w, f, o.w);
  }
  writeMerged(out, e, h, mx, l, o);
}

// grid: 1 + P where others write the slots (CTA 0 merges); Stale/Own 1. times[0..1]: ns, cycles.
__global__ void __launch_bounds__(kThreads) mergeBench(float *slots, unsigned *counter, int P,
                                                       int mode, long long *times, float *out) {
  extern __shared__ __align__(128) char occupy[]; // one CTA per SM (kSmemBytes)
  __shared__ __align__(8) uint64_t bar;
  float *landing = reinterpret_cast<float *>(occupy); // bulk and cpasync copy the slots here
  if (blockIdx.x > 0) { // a writer: its slot, then a release add on the counter
    writeSlotOf(slots, blockIdx.x - 1);
    __syncthreads();
    if (threadIdx.x == 0)
      addRelease(counter, 1);
    return;
  }
  if (mode == Own) {
    for (int s = 0; s < P; ++s)
      writeSlotOf(slots, s);
    __threadfence();
  }
  if (writtenByOthers(mode) && threadIdx.x == 0)
    while (loadAcquire(counter) != static_cast<unsigned>(P)) {
    }
  __syncthreads();
  long long ns0 = globalNs(), c0 = clock64();
  if (mode == NoMath) {
    mergeSlots<false>(slots, P, out);
  } else if (mode == Bulk || mode == BulkCopy) {
    bulkCopySlots(slots, P, landing, &bar);
    if (mode == Bulk)
      mergeSlots<true>(landing, P, out);
  } else if (mode == CpAsync) {
    cpAsyncCopySlots(slots, P, landing);
    mergeSlots<true>(landing, P, out);
  } else if (mode == Lanes) {
    mergeLanes<8>(slots, P, out);
  } else if (mode == Lanes16) {
    mergeLanes<16>(slots, P, out);
  } else if (mode == Lanes32) {
    mergeLanesAll(slots, P, out);
  } else if (mode == Chase) {
    if (threadIdx.x == 0)
      out[0] = chaseSlots(slots, P);
  } else {
    mergeSlots<true>(slots, P, out);
  }
  __syncthreads();
  long long c1 = clock64(), ns1 = globalNs();
  if (threadIdx.x == 0) {
    times[0] = ns1 - ns0;
    times[1] = c1 - c0;
    *counter = 0; // every writer has arrived: nothing else touches it in this launch
  }
}

// Writes the P slots (the stale mode's earlier launch).
__global__ void writeSlots(float *slots) { writeSlotOf(slots, blockIdx.x); }

// The merged state and output in double precision, from slotValue.
void reference(int P, std::vector<double> &out) {
  out.assign(kG * kDv + 2 * kG, 0);
  for (int h = 0; h < kG; ++h) {
    double mx = -INFINITY;
    for (int s = 0; s < P; ++s)
      mx = std::max(mx, double(slotValue(s, h)));
    double l = 0;
    std::vector<double> o(kDv, 0);
    for (int s = 0; s < P; ++s) {
      double f = std::exp2(double(slotValue(s, h)) - mx);
      l += f * slotValue(s, kG + h);
      for (int d = 0; d < kDv; ++d)
        o[d] += f * slotValue(s, kOAt + h * kDv + d);
    }
    for (int d = 0; d < kDv; ++d)
      out[h * kDv + d] = o[d] / l;
    out[kG * kDv + h] = mx;
    out[kG * kDv + kG + h] = l;
  }
}

int main(int argc, char **argv) {
  const int launches = argc > 1 ? std::atoi(argv[1]) : 31;
  if (launches < 1) {
    std::fprintf(stderr, "usage: %s [launches per point >= 1]\n", argv[0]);
    return 2;
  }
  CHECK(cudaFuncSetAttribute(mergeBench, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             kSmemBytes));
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  float *slots, *out;
  unsigned *counter;
  long long *times;
  CHECK(cudaMalloc(&slots, sizeof(float) * kSlotFloats * kMaxSlots));
  CHECK(cudaMalloc(&out, sizeof(float) * (kG * kDv + 2 * kG)));
  CHECK(cudaMalloc(&counter, sizeof(unsigned)));
  CHECK(cudaMalloc(&times, 2 * sizeof(long long)));
  CHECK(cudaMemset(counter, 0, sizeof(unsigned)));
  std::printf("%-7s %3s %9s %12s %9s %10s\n", "mode", "P", "batches", "median ns",
              "cycles", "max err / ns per load (chase)");
  int status = 0;
  for (int P : {9, 17, 25, 32}) {
    if (P + 1 > sms || P > kMaxSlots) {
      std::fprintf(stderr, "P = %d needs %d co-resident CTAs, the GPU has %d SMs\n", P,
                   P + 1, sms);
      return 1;
    }
    for (int mode = 0; mode < kModes; ++mode) {
      std::vector<long long> ns, cycles;
      for (int r = 0; r < launches; ++r) {
        CHECK(cudaMemset(slots, 0, sizeof(float) * kSlotFloats * kMaxSlots));
        int grid = 1;
        if (mode == Stale)
          writeSlots<<<P, kThreads>>>(slots);
        else if (writtenByOthers(mode))
          grid = 1 + P;
        mergeBench<<<grid, kThreads, kSmemBytes>>>(slots, counter, P, mode, times, out);
        CHECK(cudaGetLastError());
        long long t[2];
        CHECK(cudaMemcpy(t, times, sizeof t, cudaMemcpyDeviceToHost));
        ns.push_back(t[0]);
        cycles.push_back(t[1]);
      }
      std::sort(ns.begin(), ns.end());
      std::sort(cycles.begin(), cycles.end());
      double err = 0;
      if (mode == Chase)
        err = double(ns[ns.size() / 2]) / P;
      if (merges(mode)) {
        std::vector<float> got(kG * kDv + 2 * kG);
        CHECK(cudaMemcpy(got.data(), out, sizeof(float) * got.size(), cudaMemcpyDeviceToHost));
        std::vector<double> want;
        reference(P, want);
        for (size_t i = 0; i < got.size(); ++i)
          err = std::max(err, std::abs(got[i] - want[i]) / std::max(1.0, std::abs(want[i])));
        if (!(err < 1e-4))
          status = 1;
      }
      std::printf("%-7s %3d %9d %12lld %9lld %10.2e\n", modeName(mode), P,
                  (P - 1 + kBatch - 1) / kBatch, ns[ns.size() / 2], cycles[cycles.size() / 2],
                  err);
    }
  }
  if (status)
    std::fprintf(stderr, "merged output differs from the double-precision reference\n");
  return status;
}
