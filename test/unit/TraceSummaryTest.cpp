// tessel-bench's phase-trace summary (tools/tessel-bench/TraceSummary.h) on hand-built
// records: unit conversion, quantiles, the last CTA's path, and malformed traces.
#include "runtime/abi/AttentionABI.h"
#include "tools/tessel-bench/TraceSummary.h"

#include <gtest/gtest.h>


using namespace tessel::bench;

namespace {

/// One record: globaltimer entry/exit in ns, clock64 stamps at 2 cycles per ns.
void addRecord(std::vector<uint64_t> &w, uint64_t entryNs, uint64_t prologueNs,
               uint64_t streamNs, uint64_t finishNs, uint64_t restNs, int64_t segments,
               int64_t smid) {
  const uint64_t c0 = 1000000 + smid * 777; // every SM's counter has its own origin
  uint64_t r[tessel::abi::kTraceWords];
  r[tessel::abi::kTraceEntryGlobalNs] = entryNs;
  r[tessel::abi::kTraceEntryCycles] = c0;
  r[tessel::abi::kTracePrologueCycles] = c0 + 2 * prologueNs;
  r[tessel::abi::kTraceStreamedCycles] = r[tessel::abi::kTracePrologueCycles] + 2 * streamNs;
  r[tessel::abi::kTraceFinishedCycles] = r[tessel::abi::kTraceStreamedCycles] + 2 * finishNs;
  r[tessel::abi::kTraceExitCycles] = r[tessel::abi::kTraceFinishedCycles] + 2 * restNs;
  r[tessel::abi::kTraceExitGlobalNs] = entryNs + prologueNs + streamNs + finishNs + restNs;
  r[tessel::abi::kTraceInfo] = (uint64_t(segments) << 32) | uint64_t(smid);
  w.insert(w.end(), r, r + tessel::abi::kTraceWords);
}

TEST(TraceSummary, ConvertsClocksAndFindsTheCriticalPath) {
  std::vector<uint64_t> w;
  addRecord(w, 5000, 1000, 3000, 200, 0, 1, 0);
  addRecord(w, 5100, 1200, 3000, 2500, 0, 1, 1); // the merger: ends last
  addRecord(w, 5300, 900, 0, 0, 0, 0, 2);       // idle: no segment
  w.insert(w.end(), tessel::abi::kTraceWords, 0);       // a record never written
  TraceSummary s;
  std::string error;
  ASSERT_TRUE(summariseTrace(w, s, error)) << error;
  EXPECT_EQ(s.ctas.size(), 3u);
  EXPECT_EQ(s.idleCtas, 1);
  EXPECT_DOUBLE_EQ(s.nsPerCycle, 0.5);
  EXPECT_DOUBLE_EQ(s.timerStepNs, 100);
  EXPECT_DOUBLE_EQ(s.spanUs, (5100 + 1200 + 3000 + 2500 - 5000) / 1e3);
  EXPECT_EQ(s.last.smid, 1);
  EXPECT_EQ(s.last.segments, 1);
  EXPECT_DOUBLE_EQ(s.last.start, 0.1);
  EXPECT_DOUBLE_EQ(s.last.prologue, 1.2);
  EXPECT_DOUBLE_EQ(s.last.stream, 3.0);
  EXPECT_DOUBLE_EQ(s.last.finish, 2.5);
  // Streaming and finish only over the CTAs that walked segments.
  EXPECT_DOUBLE_EQ(s.finish[0], 0.2);
  EXPECT_DOUBLE_EQ(s.finish[3], 2.5);
  EXPECT_DOUBLE_EQ(s.prologue[0], 0.9); // all CTAs
  EXPECT_DOUBLE_EQ(s.start[3], 0.3);
  std::string json = traceSummaryJson(s);
  EXPECT_NE(json.find("\"idle_ctas\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"last_cta\": {\"smid\": 1, \"segments\": 1"), std::string::npos)
      << json;
  // Per CTA, in worker order; the never-written record (worker 3) is left out.
  ASSERT_EQ(s.ctas.size(), 3u);
  EXPECT_EQ(s.ctas[1].worker, 1);
  EXPECT_EQ(s.ctas[2].worker, 2);
  EXPECT_EQ(traceCtasJson(s), "[[0, 0, 1, 0.000, 1.000, 3.000, 0.200, 0.000, 4.200], "
                              "[1, 1, 1, 0.100, 1.200, 3.000, 2.500, 0.000, 6.800], "
                              "[2, 2, 0, 0.300, 0.900, 0.000, 0.000, 0.000, 1.200]]");
}

TEST(TraceSummary, NumbersTheCtasByTheirRecordsIndex) {
  // Records 0 and 2 written, 1 not: the second CTA listed is worker 2.
  std::vector<uint64_t> w;
  addRecord(w, 5000, 100, 100, 100, 0, 1, 4);
  w.insert(w.end(), tessel::abi::kTraceWords, 0);
  addRecord(w, 5000, 100, 100, 100, 0, 1, 5);
  TraceSummary s;
  std::string error;
  ASSERT_TRUE(summariseTrace(w, s, error)) << error;
  ASSERT_EQ(s.ctas.size(), 2u);
  EXPECT_EQ(s.ctas[0].worker, 0);
  EXPECT_EQ(s.ctas[1].worker, 2);
  EXPECT_EQ(s.ctas[1].smid, 5);
}

TEST(TraceSummary, CountsTheSmsOfTheWorkingCtas) {
  // Four working CTAs on SMs 3, 3, 3 and 7, and an idle one on SM 9.
  std::vector<uint64_t> w;
  for (int64_t sm : {3, 7, 3, 3})
    addRecord(w, 5000, 100, 100, 100, 0, 1, sm);
  addRecord(w, 5000, 100, 0, 0, 0, 0, 9);
  TraceSummary s;
  std::string error;
  ASSERT_TRUE(summariseTrace(w, s, error)) << error;
  EXPECT_EQ(s.workingSms, 2);
  EXPECT_EQ(s.mostWorkingPerSm, 3);
  std::string json = traceSummaryJson(s);
  EXPECT_NE(json.find("\"working_sms\": 2, \"most_working_per_sm\": 3"), std::string::npos)
      << json;
}

TEST(TraceSummary, RejectsEmptyAndBackwardRecords) {
  TraceSummary s;
  std::string error;
  std::vector<uint64_t> empty(2 * tessel::abi::kTraceWords, 0);
  EXPECT_FALSE(summariseTrace(empty, s, error));
  EXPECT_NE(error.find("no record was written"), std::string::npos) << error;
  std::vector<uint64_t> w;
  addRecord(w, 5000, 100, 100, 100, 100, 1, 0);
  w[tessel::abi::kTraceExitCycles] = w[tessel::abi::kTraceEntryCycles] - 1;
  EXPECT_FALSE(summariseTrace(w, s, error));
  EXPECT_NE(error.find("run backwards"), std::string::npos) << error;
}

} // namespace
