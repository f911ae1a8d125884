// Summarises the phase trace of one launch of a --trace-phases build (one record per
// launched CTA, runtime/abi/AttentionABI.h TraceWord): where the launch's time goes —
// when CTAs start, how long the prologue, the first segment's streaming and its finish
// (output, or slot + arrival + merge) take, and the path of the CTA that ends last.
// CUDA-free, so that it is unit-tested on machines without a GPU.
#ifndef TESSEL_TOOLS_TESSEL_BENCH_TRACESUMMARY_H
#define TESSEL_TOOLS_TESSEL_BENCH_TRACESUMMARY_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tessel::bench {

/// min, median, 90th percentile, max.
using Quantiles = std::array<double, 4>;

/// The phases of one CTA in microseconds. `start` is its globaltimer entry after the
/// launch's first CTA entered; the durations are its clock64 differences converted with
/// the launch's ns per cycle.
struct CtaPhases {
  double start = 0, prologue = 0, stream = 0, finish = 0, rest = 0, end = 0;
  int64_t segments = 0, smid = 0;
  int64_t worker = 0; // the record's index: the CTA's blockIdx, i.e. its worker index
};

struct TraceSummary {
  int64_t idleCtas = 0;           // written records of CTAs that walked no segment
  double nsPerCycle = 0;          // sum of globaltimer spans / sum of clock64 spans
  double timerStepNs = 0;         // smallest nonzero difference between entry stamps
  double spanUs = 0;              // last exit - first entry (globaltimer)
  // Placement of the CTAs with segments: on how many SMs they ran, and the most that
  // shared one SM (a launch whose working CTAs pair up on half the SMs streams through
  // half the SMs' load pipes).
  int64_t workingSms = 0, mostWorkingPerSm = 0;
  // Over all CTAs: start, prologue, end; over CTAs with segments: stream, finish, rest.
  Quantiles start{}, prologue{}, stream{}, finish{}, rest{}, end{};
  CtaPhases last; // the CTA that exits last: the launch's critical path
  std::vector<CtaPhases> ctas; // every written record, in worker order (ctas.size(): the
                               // launch's CTAs)
};

/// `words`: records of abi::kTraceWords u64 each. Records never written (entry 0) are
/// skipped. Returns false with a message when no record is usable or a record's clocks
/// run backwards.
bool summariseTrace(const std::vector<uint64_t> &words, TraceSummary &out,
                    std::string &error);

/// One JSON object (no newline) for tessel-bench's output line.
std::string traceSummaryJson(const TraceSummary &s);

/// Every CTA's phases as one JSON array (no newline) of
/// [worker, smid, segments, start, prologue, stream, finish, rest, end] (µs), in worker
/// order: for `tessel-bench --trace-ctas`, to ask which CTAs end late and where they ran
/// (an SM, a pair of CTAs on one SM, a range of workers).
std::string traceCtasJson(const TraceSummary &s);

} // namespace tessel::bench

#endif
