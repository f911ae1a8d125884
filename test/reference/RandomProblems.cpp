#include "test/reference/RandomProblems.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace tessel::reference {

AttentionProblem randomProblem(const ProblemShape &shape, const std::vector<int32_t> &lens,
                               std::mt19937_64 &rng, int64_t maxLen) {
  AttentionProblem p;
  p.batch = static_cast<int64_t>(lens.size());
  p.qHeads = shape.qHeads;
  p.kvHeads = shape.kvHeads;
  p.qkDim = shape.qkDim;
  p.vDim = shape.vDim;
  int64_t longest = lens.empty() ? 0 : *std::max_element(lens.begin(), lens.end());
  p.maxLen = std::max(maxLen, longest);
  p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape.qkDim)));
  p.lens = lens;
  // Long-context caches hold billions of values: fill them on every core, each thread
  // with its own generator seeded from `rng` (so a seed still replays a run).
  auto fill = [&](std::vector<float> &buf, size_t n) {
    buf.resize(n);
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    if (n < (1u << 20))
      threads = 1;
    std::vector<std::thread> pool;
    size_t chunk = (n + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
      uint64_t seed = rng();
      pool.emplace_back([&, t, seed] {
        std::mt19937_64 local(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (size_t i = t * chunk; i < std::min(n, (t + 1) * chunk); ++i)
          buf[i] = roundTo(shape.elementType, normal(local));
      });
    }
    for (std::thread &th : pool)
      th.join();
  };
  fill(p.q, p.batch * p.qHeads * p.qkDim);
  fill(p.k, p.batch * p.kvHeads * p.maxLen * p.qkDim);
  fill(p.v, p.batch * p.kvHeads * p.maxLen * p.vDim);
  return p;
}

uint64_t testSeed() {
  if (const char *env = std::getenv("TESSEL_TEST_SEED"))
    return std::strtoull(env, nullptr, 10);
  return std::random_device{}();
}

} // namespace tessel::reference
