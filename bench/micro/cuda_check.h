// The micro-benchmarks' CUDA runtime error check: print where and why, exit 1.
#ifndef TESSEL_BENCH_MICRO_CUDA_CHECK_H
#define TESSEL_BENCH_MICRO_CUDA_CHECK_H

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CHECK(x)                                                                         \
  do {                                                                                   \
    cudaError_t e = (x);                                                                 \
    if (e != cudaSuccess) {                                                              \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x,                     \
                   cudaGetErrorString(e));                                               \
      std::exit(1);                                                                      \
    }                                                                                    \
  } while (0)

#endif
