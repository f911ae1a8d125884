#include "test/reference/StreamKExecutor.h"

#include "runtime/schedule/CostModel.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

namespace tessel::reference {
namespace {

using schedule::Fixup;
using schedule::Segment;

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

/// Softmax states of the G query heads of one KV head: m, l [G], o [G, Dv].
struct State {
  std::vector<float> m, l, o;
  State(int64_t group, int64_t vDim)
      : m(group, kNegInf), l(group, 0.0f), o(group * vDim, 0.0f) {}
};

/// The kernels' merge of partial states: `parts` in batches of kFixupMergeBatch, each batch
/// in one step (one max over the batch and the state, one factor per part, then the
/// weighted sums in order, fused multiply-adds) — the association of `mergeChunk` in
/// passes/AttentionKernel.cpp.
/// A side with m = -inf contributes nothing (no inf - inf).
void mergeBatches(State &a, const std::vector<const State *> &parts, int64_t vDim) {
  for (size_t first = 0; first < parts.size(); first += schedule::kFixupMergeBatch) {
    size_t end = std::min(parts.size(), first + size_t(schedule::kFixupMergeBatch));
    for (size_t h = 0; h < a.m.size(); ++h) {
      float m = a.m[h];
      for (size_t i = first; i < end; ++i)
        m = std::max(m, parts[i]->m[h]);
      if (m == kNegInf)
        continue; // all empty
      auto factor = [&](float mi) { return mi == kNegInf ? 0.0f : std::exp2(mi - m); };
      float f0 = factor(a.m[h]);
      a.l[h] *= f0;
      for (int64_t d = 0; d < vDim; ++d)
        a.o[h * vDim + d] *= f0;
      for (size_t i = first; i < end; ++i) {
        float f = factor(parts[i]->m[h]);
        a.l[h] = std::fma(parts[i]->l[h], f, a.l[h]);
        for (int64_t d = 0; d < vDim; ++d)
          a.o[h * vDim + d] = std::fma(parts[i]->o[h * vDim + d], f, a.o[h * vDim + d]);
      }
      a.m[h] = m;
    }
  }
}

/// The kernels' lane merge of one arrival group (schedule::usesLaneMerge): `first` and
/// `parts` are slots 0 and 1.. of the group. The group's m is the max over its slots;
/// slot j's factor 2^(m_j - m); lane i holds slots i and i + 32 (absent ones: factor 0,
/// l 0); l the butterfly sum over the 32 lanes of fma(f_{i+32}, l_{i+32}, f_i * l_i); o
/// the fused multiply-adds over the slots in order from 0 — the association of
/// `mergeGroupByLanes` in passes/AttentionFixup.cpp (which skips the second slots'
/// terms of groups of <= 32, exact zeros here).
State laneMerge(const State &first, const std::vector<const State *> &parts, int64_t vDim) {
  constexpr int64_t kLanes = schedule::kLaneMergeLanes;
  std::vector<const State *> slots{&first};
  slots.insert(slots.end(), parts.begin(), parts.end());
  const int64_t n = static_cast<int64_t>(slots.size()), group = first.m.size();
  State s(group, vDim);
  for (int64_t h = 0; h < group; ++h) {
    float m = kNegInf;
    for (const State *slot : slots)
      m = std::max(m, slot->m[h]);
    const float shift = m == kNegInf ? 0.0f : m;
    std::array<float, schedule::kLaneMergeMax> f{}, l{};
    for (int64_t j = 0; j < n; ++j) {
      f[j] = std::exp2(slots[j]->m[h] - shift); // -inf: 0
      l[j] = slots[j]->l[h];
    }
    std::array<float, kLanes> w{};
    for (int64_t i = 0; i < kLanes; ++i) {
      const float own = f[i] * l[i];
      w[i] = std::fma(f[i + kLanes], l[i + kLanes], own);
    }
    for (int64_t d = kLanes / 2; d >= 1; d /= 2) {
      std::array<float, kLanes> next{};
      for (int64_t i = 0; i < kLanes; ++i)
        next[i] = w[i] + w[i ^ d];
      w = next;
    }
    s.m[h] = m;
    s.l[h] = w[0];
    for (int64_t d = 0; d < vDim; ++d) {
      float o = 0.0f;
      for (int64_t j = 0; j < n; ++j)
        o = std::fma(slots[j]->o[h * vDim + d], f[j], o);
      s.o[h * vDim + d] = o;
    }
  }
  return s;
}

/// State of tokens [begin, end) of head (b, g) for its G query heads.
State tileState(const AttentionProblem &p, int64_t b, int64_t g, int64_t begin,
                int64_t end) {
  int64_t group = p.group();
  State s(group, p.vDim);
  float scale = p.scale * kLog2e; // folded once, as the kernels fold it
  std::vector<float> t(end - begin);
  for (int64_t j = 0; j < group; ++j) {
    int64_t h = g * group + j;
    for (int64_t i = begin; i < end; ++i) {
      float dot = 0;
      for (int64_t d = 0; d < p.qkDim; ++d)
        dot += p.q[p.qIndex(b, h, d)] * p.k[p.kIndex(b, g, i, d)];
      t[i - begin] = dot * scale;
      s.m[j] = std::max(s.m[j], t[i - begin]);
    }
    for (int64_t i = begin; i < end; ++i) {
      float e = std::exp2(t[i - begin] - s.m[j]);
      s.l[j] += e;
      for (int64_t d = 0; d < p.vDim; ++d)
        s.o[j * p.vDim + d] += e * p.v[p.vIndex(b, g, i, d)];
    }
  }
  return s;
}

void writeOutput(const AttentionProblem &p, const State &s, int64_t b, int64_t g,
                 std::vector<float> &out) {
  int64_t group = p.group();
  for (int64_t j = 0; j < group; ++j)
    for (int64_t d = 0; d < p.vDim; ++d)
      out[p.oIndex(b, g * group + j, d)] =
          s.l[j] == 0.0f ? 0.0f : s.o[j * p.vDim + d] / s.l[j];
}

} // namespace

ExecutorResult executeStreamK(const AttentionProblem &p, const ExecutorOptions &opt) {
  if (std::string err = p.validate(); !err.empty())
    throw std::invalid_argument("stream-K executor: " + err);
  if (opt.workers < 1)
    throw std::invalid_argument("stream-K executor: workers must be >= 1");
  std::vector<int64_t> lens(p.lens.begin(), p.lens.end());
  schedule::TileSpace space =
      schedule::buildLaunchSpace(lens, opt.tile, p.kvHeads, opt.workers);
  int64_t workers = schedule::effectiveWorkers(space.total(), opt.workers);

  std::vector<int64_t> order = opt.workerOrder;
  if (order.empty())
    for (int64_t w = 0; w < workers; ++w)
      order.push_back(w);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t w = 0; w < workers; ++w)
    if (static_cast<int64_t>(sorted.size()) != workers || sorted[w] != w)
      throw std::invalid_argument("stream-K executor: worker order is not a permutation "
                                  "of the effective workers");

  ExecutorResult result;
  result.workers = workers;
  // Outputs start poisoned: every element must be written by some role.
  result.out.assign(p.outputSize(), std::numeric_limits<float>::quiet_NaN());

  // Sequences with no tokens have no tiles; the kernels zero their outputs.
  for (int64_t b = 0; b < p.batch; ++b)
    if (p.lens[b] == 0)
      for (int64_t h = 0; h < p.qHeads; ++h)
        for (int64_t d = 0; d < p.vDim; ++d)
          result.out[p.oIndex(b, h, d)] = 0.0f;

  std::vector<State> slots(schedule::partialSlots(opt.fixup, workers),
                           State(p.group(), p.vDim));
  const int64_t singleMax = schedule::singleGroupMax(p.group(), p.vDim);
  // Both fix-ups merge a split head in the same association (StreamKSchedule.h): each
  // arrival group's slots in ascending order, starting at the group's first slot, then
  // the groups in ascending order.
  auto mergeGroup = [&](const schedule::Contributors &c, int64_t groupFirst) {
    State state = slots[schedule::groupSlot(workers, c, groupFirst)];
    std::vector<const State *> parts;
    for (int64_t j = groupFirst + 1;
         j <= schedule::arrivalGroupLast(c, groupFirst, singleMax); ++j)
      parts.push_back(&slots[schedule::nonHostSlot(j)]);
    if (schedule::usesLaneMerge(1 + parts.size(), p.group(), p.vDim))
      return laneMerge(state, parts, p.vDim);
    mergeBatches(state, parts, p.vDim);
    return state;
  };
  // The last group's merge: the groups' slots (each holding its group's merge).
  auto mergeGroupSlots = [&](const schedule::Contributors &c) {
    State state = slots[schedule::groupSlot(workers, c, c.first)];
    std::vector<const State *> parts;
    for (int64_t f = c.first + schedule::kArrivalGroup; f <= c.last; f += schedule::kArrivalGroup)
      parts.push_back(&slots[schedule::groupSlot(workers, c, f)]);
    mergeBatches(state, parts, p.vDim);
    return state;
  };
  // The merge kernel: the same merges, one after the other.
  auto mergeHead = [&](int64_t b, int64_t g) {
    schedule::Contributors c = schedule::headContributors(space, workers, b, g);
    if (schedule::arrivalGroups(c, singleMax) == 1) {
      writeOutput(p, mergeGroup(c, c.first), b, g, result.out);
      return;
    }
    for (int64_t f = c.first; f <= c.last; f += schedule::kArrivalGroup)
      slots[schedule::groupSlot(workers, c, f)] = mergeGroup(c, f);
    writeOutput(p, mergeGroupSlots(c), b, g, result.out);
  };
  // in_kernel: the last arrival of a group merges it into the group's first slot; the last
  // group to arrive at the head's counter merges the groups' slots and writes the output
  // (no worker ever waits on another).
  std::map<std::pair<int64_t, int64_t>, int64_t> arrivals;      // head -> groups done
  std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t> groupArrivals;
  auto arrive = [&](int64_t b, int64_t g, int64_t w) {
    schedule::Contributors c = schedule::headContributors(space, workers, b, g);
    int64_t first = schedule::arrivalGroupFirst(c, w, singleMax);
    int64_t size = schedule::arrivalGroupLast(c, first, singleMax) - first + 1;
    if (++groupArrivals[{b, g, first}] != size)
      return;
    if (schedule::arrivalGroups(c, singleMax) == 1) {
      writeOutput(p, mergeGroup(c, c.first), b, g, result.out);
      ++result.mergedByLastArrival;
      return;
    }
    slots[schedule::groupSlot(workers, c, first)] = mergeGroup(c, first);
    if (++arrivals[{b, g}] != schedule::arrivalGroups(c, singleMax))
      return;
    writeOutput(p, mergeGroupSlots(c), b, g, result.out);
    ++result.mergedByLastArrival;
  };

  for (int64_t w : order) {
    for (const Segment &seg : schedule::workerSegments(space, workers, w)) {
      State state(p.group(), p.vDim);
      int64_t len = p.lens[seg.batch];
      for (int64_t t = seg.firstTile; t < seg.endTile; ++t) {
        int64_t begin = t * opt.tile, end = std::min(len, begin + opt.tile);
        State tile = tileState(p, seg.batch, seg.kvHead, begin, end);
        mergeBatches(state, {&tile}, p.vDim);
      }
      if (seg.host && seg.finishing) {
        writeOutput(p, state, seg.batch, seg.kvHead, result.out);
        continue;
      }
      slots[seg.host ? schedule::hostSlot(workers, w) : schedule::nonHostSlot(w)] =
          std::move(state);
      if (opt.fixup == Fixup::InKernel)
        arrive(seg.batch, seg.kvHead, w);
    }
  }

  if (opt.fixup == Fixup::Separate) {
    // The merge kernel: one pass over split heads, same association.
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t g = 0; g < p.kvHeads; ++g) {
        schedule::Contributors c = schedule::headContributors(space, workers, b, g);
        if (c.count() <= 1)
          continue;
        mergeHead(b, g);
      }
  }
  return result;
}

} // namespace tessel::reference
