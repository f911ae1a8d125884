#include "tools/tessel-bench/TraceSummary.h"

#include "runtime/abi/AttentionABI.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace tessel::bench {
namespace {

Quantiles quantiles(std::vector<double> v) {
  if (v.empty())
    return {0, 0, 0, 0};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)]; };
  return {v.front(), at(0.5), at(0.9), v.back()};
}

std::string json(const Quantiles &q) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "[%.3f, %.3f, %.3f, %.3f]", q[0], q[1], q[2], q[3]);
  return buf;
}

} // namespace

bool summariseTrace(const std::vector<uint64_t> &words, TraceSummary &out,
                    std::string &error) {
  using namespace abi;
  std::vector<const uint64_t *> records; // the written ones
  for (size_t i = 0; i + kTraceWords <= words.size(); i += kTraceWords)
    if (words[i + kTraceEntryGlobalNs] != 0)
      records.push_back(&words[i]);
  if (records.empty()) {
    error = "trace: no record was written (was the kernel launched?)";
    return false;
  }
  double ns = 0, cycles = 0;
  uint64_t first = UINT64_MAX;
  std::vector<uint64_t> entries;
  for (const uint64_t *w : records) {
    if (w[kTraceExitGlobalNs] < w[kTraceEntryGlobalNs] ||
        w[kTracePrologueCycles] < w[kTraceEntryCycles] ||
        w[kTraceExitCycles] < w[kTracePrologueCycles]) {
      error = "trace: a record's clocks run backwards (not a trace record?)";
      return false;
    }
    ns += double(w[kTraceExitGlobalNs] - w[kTraceEntryGlobalNs]);
    cycles += double(w[kTraceExitCycles] - w[kTraceEntryCycles]);
    first = std::min(first, w[kTraceEntryGlobalNs]);
    entries.push_back(w[kTraceEntryGlobalNs]);
  }
  TraceSummary s;
  s.nsPerCycle = cycles > 0 ? ns / cycles : 0;
  std::sort(entries.begin(), entries.end());
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i] != entries[i - 1] &&
        (s.timerStepNs == 0 || entries[i] - entries[i - 1] < s.timerStepNs))
      s.timerStepNs = double(entries[i] - entries[i - 1]);
  auto us = [&](uint64_t from, uint64_t to) { return double(to - from) * s.nsPerCycle / 1e3; };
  std::vector<double> start, prologue, stream, finish, rest, end;
  uint64_t lastExit = 0;
  std::map<int64_t, int64_t> workingPerSm;
  for (const uint64_t *w : records) {
    CtaPhases p;
    p.worker = static_cast<int64_t>((w - words.data()) / kTraceWords);
    p.start = double(w[kTraceEntryGlobalNs] - first) / 1e3;
    p.end = double(w[kTraceExitGlobalNs] - first) / 1e3;
    p.prologue = us(w[kTraceEntryCycles], w[kTracePrologueCycles]);
    p.segments = static_cast<int64_t>(w[kTraceInfo] >> 32);
    p.smid = static_cast<int64_t>(w[kTraceInfo] & 0xffffffffu);
    start.push_back(p.start);
    prologue.push_back(p.prologue);
    end.push_back(p.end);
    if (p.segments > 0) {
      uint64_t streamed = std::clamp(w[kTraceStreamedCycles], w[kTracePrologueCycles],
                                     w[kTraceExitCycles]);
      uint64_t finished = std::clamp(w[kTraceFinishedCycles], streamed, w[kTraceExitCycles]);
      p.stream = us(w[kTracePrologueCycles], streamed);
      p.finish = us(streamed, finished);
      p.rest = us(finished, w[kTraceExitCycles]);
      stream.push_back(p.stream);
      finish.push_back(p.finish);
      rest.push_back(p.rest);
      ++workingPerSm[p.smid];
    } else {
      ++s.idleCtas;
    }
    if (w[kTraceExitGlobalNs] >= lastExit) {
      lastExit = w[kTraceExitGlobalNs];
      s.last = p;
    }
    s.ctas.push_back(p);
  }
  s.spanUs = double(lastExit - first) / 1e3;
  s.workingSms = static_cast<int64_t>(workingPerSm.size());
  for (const auto &[sm, n] : workingPerSm)
    s.mostWorkingPerSm = std::max(s.mostWorkingPerSm, n);
  s.start = quantiles(start);
  s.prologue = quantiles(prologue);
  s.stream = quantiles(stream);
  s.finish = quantiles(finish);
  s.rest = quantiles(rest);
  s.end = quantiles(end);
  out = s;
  return true;
}

std::string traceSummaryJson(const TraceSummary &s) {
  char head[320], last[320];
  std::snprintf(head, sizeof head,
                "{\"ctas\": %lld, \"idle_ctas\": %lld, \"working_sms\": %lld, "
                "\"most_working_per_sm\": %lld, \"ns_per_cycle\": %.4f, "
                "\"timer_step_ns\": %.0f, \"span_us\": %.3f, ",
                (long long)s.ctas.size(), (long long)s.idleCtas, (long long)s.workingSms,
                (long long)s.mostWorkingPerSm, s.nsPerCycle, s.timerStepNs, s.spanUs);
  std::snprintf(last, sizeof last,
                "\"last_cta\": {\"smid\": %lld, \"segments\": %lld, \"start\": %.3f, "
                "\"prologue\": %.3f, \"stream\": %.3f, \"finish\": %.3f, \"rest\": %.3f, "
                "\"end\": %.3f}}",
                (long long)s.last.smid, (long long)s.last.segments, s.last.start,
                s.last.prologue, s.last.stream, s.last.finish, s.last.rest, s.last.end);
  return std::string(head) + "\"us_min_p50_p90_max\": {\"start\": " + json(s.start) +
         ", \"prologue\": " + json(s.prologue) + ", \"stream\": " + json(s.stream) +
         ", \"finish\": " + json(s.finish) + ", \"rest\": " + json(s.rest) +
         ", \"end\": " + json(s.end) + "}, " + last;
}

std::string traceCtasJson(const TraceSummary &s) {
  std::string out = "[";
  char buf[200];
  for (const CtaPhases &p : s.ctas) {
    std::snprintf(
        buf, sizeof buf, "%s[%lld, %lld, %lld, %.3f, %.3f, %.3f, %.3f, %.3f, %.3f]",
        out.size() > 1 ? ", " : "", (long long)p.worker, (long long)p.smid,
        (long long)p.segments, p.start, p.prologue, p.stream, p.finish, p.rest, p.end);
    out += buf;
  }
  return out + "]";
}

} // namespace tessel::bench
