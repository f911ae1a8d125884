// The runtime's manifest reader against what tesselc writes (the compiler-runtime
// contract) and against malformed manifests.
#include "runtime/Manifest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace tessel::rt;

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replaceOnce(std::string text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture lacks '" << from << "'";
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

} // namespace

#ifdef TESSEL_EXAMPLE_MANIFEST
TEST(Manifest, ReadsWhatTesselcWrites) {
  std::string error;
  auto m = parseManifest(readFile(TESSEL_EXAMPLE_MANIFEST), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->target, "sm_90");
  ASSERT_EQ(m->functions.size(), 2u);
  const AttentionInfo &f16 = m->functions[0];
  EXPECT_EQ(f16.name, "llama3_8b_attention_f16");
  EXPECT_EQ(f16.elementType, "f16");
  EXPECT_EQ(f16.qHeads, 32);
  EXPECT_EQ(f16.kvHeads, 8);
  EXPECT_EQ(f16.group(), 4);
  EXPECT_TRUE(f16.inKernelFixup);
  EXPECT_TRUE(f16.padsHeads); // tesselc since v38
  EXPECT_FALSE(f16.merge.has_value());
  EXPECT_FALSE(f16.staticBatch.has_value());
  EXPECT_EQ(f16.attention.params.size(), 9u);
  EXPECT_EQ(f16.attention.requestedWorkers, 0);
  EXPECT_EQ(f16.attention.maxCtasPerSm, 2); // what the cost model planned for
  EXPECT_EQ(f16.attention.traceBytesPerWorker, 0); // not a --trace-phases build
  EXPECT_TRUE(f16.attention.programmaticLaunch);    // sm_90: griddepcontrol.wait first
  // sm_90: the 64 KiB K/V ring, then B + 1 offsets and B lengths, 16-byte aligned.
  EXPECT_EQ(f16.attention.dynamicSharedBytes(1), 65536 + 16);
  EXPECT_EQ(f16.attention.dynamicSharedBytes(8192), 65536 + (2 * 8192 + 1) * 4 + 12);
  EXPECT_EQ(m->functions[1].elementType, "bf16");
}

// A manifest from before v38 has no head_pad: its kernels split the tiles alone.
TEST(Manifest, AbsentHeadPadMeansUnpadded) {
  std::string good = readFile(TESSEL_EXAMPLE_MANIFEST);
  std::string error;
  auto old =
      parseManifest(replaceOnce(good, "\"head_pad\": \"heads_ge_workers\",", ""), error);
  ASSERT_TRUE(old.has_value()) << error;
  EXPECT_FALSE(old->functions[0].padsHeads);
  auto none = parseManifest(replaceOnce(good, "\"heads_ge_workers\"", "\"none\""), error);
  ASSERT_TRUE(none.has_value()) << error;
  EXPECT_FALSE(none->functions[0].padsHeads);
}

TEST(Manifest, RejectsBrokenManifestsWithTheField) {
  std::string good = readFile(TESSEL_EXAMPLE_MANIFEST);
  struct Case {
    std::string text, message;
  } cases[] = {
      {"{ not json", "manifest is not valid JSON"},
      {replaceOnce(good, "\"q_heads\": 32", "\"q_heads\": \"32\""),
       "field 'q_heads' must be an integer"},
      {replaceOnce(good, "\"kv_heads\": 8", "\"kv_heads\": 5"),
       "inconsistent head counts"},
      {replaceOnce(good, "\"fixup\": \"in_kernel\"", "\"fixup\": \"eager\""),
       "unknown fixup 'eager'"},
      {replaceOnce(good, "\"head_pad\": \"heads_ge_workers\"",
                   "\"head_pad\": \"always\""),
       "unknown head_pad 'always' (expected heads_ge_workers or none)"},
      {replaceOnce(good, "\"head_pad\": \"heads_ge_workers\"", "\"head_pad\": 1"),
       "field 'head_pad' must be a string"},
      {replaceOnce(good, "\"name\": \"max_len\"", "\"name\": \"nmax\""),
       "parameters differ from this runtime's ABI"},
      {replaceOnce(good, "\"format\": \"tessel-manifest\"", "\"format\": \"other\""),
       "'format' is not 'tessel-manifest'"},
      {replaceOnce(good, "\"element_type\": \"f16\"", "\"element_type\": \"f8\""),
       "unsupported element type 'f8'"},
      {replaceOnce(good, "\"max_ctas_per_sm\": 2", "\"max_ctas_per_sm\": 0"),
       "grid: expected requested >= 0 and max_ctas_per_sm >= 1"},
      {replaceOnce(good, "\"max_ctas_per_sm\": 2,", ""),
       "grid: missing field 'max_ctas_per_sm'"},
      {replaceOnce(good, "\"bytes_per_worker\": 0", "\"bytes_per_worker\": 48"),
       "trace: bytes_per_worker must be 0 or 64"},
      {replaceOnce(good, "\"trace\": {", "\"trace_x\": {"), "missing field 'trace'"},
      {replaceOnce(good, "\"programmatic_launch\": true", "\"programmatic_launch\": 1"),
       "field 'programmatic_launch' must be true or false"},
      {replaceOnce(good, "\"base_bytes\": 65540", "\"base_bytes\": 65541"),
       "dynamic_shared_memory: expected base_bytes = 4 + a multiple of 128"},
      {replaceOnce(good, "\"per_sequence_bytes\": 8", "\"per_sequence_bytes\": 4"),
       "dynamic_shared_memory: expected base_bytes"},
  };
  for (const Case &c : cases) {
    std::string error;
    EXPECT_FALSE(parseManifest(c.text, error));
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}
#endif
