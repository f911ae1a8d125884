// Random attention problems for CPU and GPU tests: fresh inputs each run (the seed is
// printed by the tests so a failure can be replayed).
#ifndef TESSEL_TEST_REFERENCE_RANDOMPROBLEMS_H
#define TESSEL_TEST_REFERENCE_RANDOMPROBLEMS_H

#include "test/reference/AttentionReference.h"
#include "test/reference/Float16.h"

#include <cstdint>
#include <random>
#include <vector>

namespace tessel::reference {

struct ProblemShape {
  int64_t qHeads = 32, kvHeads = 8, qkDim = 128, vDim = 128;
  ElementType elementType = ElementType::F16;
};

/// q, k, v ~ N(0, 1) rounded to the element type; Nmax = max(lens) unless larger is
/// given; scale = 1/sqrt(Dqk).
AttentionProblem randomProblem(const ProblemShape &shape, const std::vector<int32_t> &lens,
                               std::mt19937_64 &rng, int64_t maxLen = 0);

/// A seed from the environment variable TESSEL_TEST_SEED if set, else random.
uint64_t testSeed();

} // namespace tessel::reference

#endif
