// The fp64 reference for decode attention. MLIR-free: linked by the CPU tests and by
// the GPU tests alike.
#ifndef TESSEL_TEST_REFERENCE_ATTENTIONREFERENCE_H
#define TESSEL_TEST_REFERENCE_ATTENTIONREFERENCE_H

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::reference {

/// One decode-attention problem with row-major, contiguous buffers:
/// q [B, Hq, Dqk], k [B, Hkv, Nmax, Dqk], v [B, Hkv, Nmax, Dv], lens [B].
/// Values are held as float; callers that model f16/bf16 inputs round them first.
struct AttentionProblem {
  int64_t batch = 0, qHeads = 0, kvHeads = 0, maxLen = 0, qkDim = 0, vDim = 0;
  float scale = 0;
  std::vector<float> q, k, v;
  std::vector<int32_t> lens;

  int64_t group() const { return qHeads / kvHeads; }
  int64_t outputSize() const { return batch * qHeads * vDim; }
  size_t kIndex(int64_t b, int64_t g, int64_t i, int64_t d) const {
    return ((static_cast<size_t>(b) * kvHeads + g) * maxLen + i) * qkDim + d;
  }
  size_t vIndex(int64_t b, int64_t g, int64_t i, int64_t d) const {
    return ((static_cast<size_t>(b) * kvHeads + g) * maxLen + i) * vDim + d;
  }
  size_t qIndex(int64_t b, int64_t h, int64_t d) const {
    return (static_cast<size_t>(b) * qHeads + h) * qkDim + d;
  }
  size_t oIndex(int64_t b, int64_t h, int64_t d) const {
    return (static_cast<size_t>(b) * qHeads + h) * vDim + d;
  }
  /// Empty string when shapes, buffer sizes and lengths are consistent.
  std::string validate() const;
};

/// out [B, Hq, Dv] in fp64 (natural-base softmax, max-subtracted); zeros for L_b = 0.
std::vector<double> referenceAttention(const AttentionProblem &p);

/// ||out - ref||_2 / ||ref||_2 (or ||out||_2 when ref is all zeros); +inf if any output
/// is NaN or infinite.
double relativeError(const std::vector<float> &out, const std::vector<double> &ref);

} // namespace tessel::reference

#endif
