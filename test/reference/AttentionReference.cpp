#include "test/reference/AttentionReference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace tessel::reference {

std::string AttentionProblem::validate() const {
  if (batch < 0 || qHeads <= 0 || kvHeads <= 0 || maxLen < 0 || qkDim <= 0 || vDim <= 0)
    return "non-positive dimension";
  if (qHeads % kvHeads)
    return "Hq is not a multiple of Hkv";
  if (q.size() != static_cast<size_t>(batch * qHeads * qkDim))
    return "q has the wrong size";
  if (k.size() != static_cast<size_t>(batch * kvHeads * maxLen * qkDim))
    return "k has the wrong size";
  if (v.size() != static_cast<size_t>(batch * kvHeads * maxLen * vDim))
    return "v has the wrong size";
  if (lens.size() != static_cast<size_t>(batch))
    return "lens has the wrong size";
  for (int32_t l : lens)
    if (l < 0 || l > maxLen)
      return "context length outside [0, Nmax]";
  return {};
}

std::vector<double> referenceAttention(const AttentionProblem &p) {
  std::vector<double> out(p.outputSize(), 0.0);
  // Rows (b, h) are independent: spread them over the cores (long contexts in the GPU
  // tests make this the slowest part of a test run otherwise).
  int64_t rows = p.batch * p.qHeads;
  unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                                     static_cast<unsigned>(rows)));
  auto work = [&](unsigned id) {
    std::vector<double> scores;
    for (int64_t row = id; row < rows; row += threads) {
      int64_t b = row / p.qHeads, h = row % p.qHeads;
      int64_t len = p.lens[b];
      if (len == 0)
        continue;
      scores.resize(len);
      int64_t g = h / p.group();
      double maxScore = -std::numeric_limits<double>::infinity();
      for (int64_t i = 0; i < len; ++i) {
        double dot = 0;
        for (int64_t d = 0; d < p.qkDim; ++d)
          dot += static_cast<double>(p.q[p.qIndex(b, h, d)]) * p.k[p.kIndex(b, g, i, d)];
        scores[i] = dot * static_cast<double>(p.scale);
        maxScore = std::max(maxScore, scores[i]);
      }
      double sum = 0;
      for (int64_t i = 0; i < len; ++i) {
        scores[i] = std::exp(scores[i] - maxScore);
        sum += scores[i];
      }
      for (int64_t d = 0; d < p.vDim; ++d) {
        double acc = 0;
        for (int64_t i = 0; i < len; ++i)
          acc += scores[i] * p.v[p.vIndex(b, g, i, d)];
        out[p.oIndex(b, h, d)] = acc / sum;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back(work, t);
  for (std::thread &t : pool)
    t.join();
  return out;
}

double relativeError(const std::vector<float> &out, const std::vector<double> &ref) {
  if (out.size() != ref.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i]))
      return std::numeric_limits<double>::infinity();
    double d = out[i] - ref[i];
    diff += d * d;
    norm += ref[i] * ref[i];
  }
  if (norm == 0) // all-empty batch: the answer is exactly zero
    return std::sqrt(diff);
  return std::sqrt(diff / norm);
}

} // namespace tessel::reference
