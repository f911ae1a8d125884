// tessel-bench's command line: every bad argument gets a message naming it (the tool
// itself needs libcuda, which CPU machines lack, so its parsing is tested here).
#include "tools/tessel-bench/BenchOptions.h"

#include <gtest/gtest.h>

#include <fstream>

using tessel::bench::BenchCase;
using tessel::bench::BenchOptions;
using tessel::bench::parseBenchArgs;
using tessel::bench::parseCase;

namespace {

std::string parse(const std::vector<std::string> &args, BenchOptions &o) {
  return parseBenchArgs(args, o);
}

void expectError(const std::vector<std::string> &args, const std::string &fragment) {
  BenchOptions o;
  std::string error = parse(args, o);
  EXPECT_NE(error.find(fragment), std::string::npos)
      << "expected '" << fragment << "' in: " << error;
}

} // namespace

TEST(BenchOptions, ParsesAValidCommandLine) {
  BenchOptions o;
  std::string cases = ::testing::TempDir() + "/good.cases";
  {
    std::ofstream out(cases);
    out << "# FUNCTION LENS\n\nmha32_f16 1x1024\ngqa8_f16 4x4096\n";
  }
  ASSERT_EQ(parse({"--artifact", "dir", "--replays", "40", "--l2", "warm", "--trace", "--pdl", "--case",
                   "gqa8_f16 131072,7x1024", "--cases", cases},
                  o),
            "");
  EXPECT_EQ(o.artifactDir, "dir");
  EXPECT_EQ(o.replays, 40);
  EXPECT_TRUE(o.warmL2);
  EXPECT_TRUE(o.trace);
  EXPECT_FALSE(o.traceCtas);
  EXPECT_TRUE(o.programmaticLaunch);
  ASSERT_EQ(o.cases.size(), 3u);
  EXPECT_EQ(o.cases[0].function, "gqa8_f16");
  EXPECT_EQ(o.cases[0].lens, (std::vector<int32_t>{131072, 1024, 1024, 1024, 1024, 1024,
                                                   1024, 1024}));
  EXPECT_EQ(o.cases[1].function, "mha32_f16"); // the file's cases after the --case one
  EXPECT_EQ(o.cases[2].lens, (std::vector<int32_t>{4096, 4096, 4096, 4096}));
}

TEST(BenchOptions, DefaultsAreColdL2And50Replays) {
  BenchOptions o;
  ASSERT_EQ(parse({"--artifact", "d", "--case", "f 1x8"}, o), "");
  EXPECT_FALSE(o.warmL2);
  EXPECT_FALSE(o.trace);
  EXPECT_FALSE(o.traceCtas);
  EXPECT_FALSE(o.programmaticLaunch);
  EXPECT_EQ(o.replays, 50);
}

TEST(BenchOptions, TraceCtasImpliesTrace) {
  BenchOptions o;
  ASSERT_EQ(parse({"--artifact", "d", "--case", "f 1x8", "--trace-ctas"}, o), "");
  EXPECT_TRUE(o.trace);
  EXPECT_TRUE(o.traceCtas);
  BenchOptions p;
  ASSERT_EQ(parse({"--artifact", "d", "--case", "f 1x8", "--trace-ctas", "--trace"}, p),
            "");
  EXPECT_TRUE(p.traceCtas); // a later --trace does not take it back
}

TEST(BenchOptions, BadValuesAreNamed) {
  expectError({"--artifact", "d", "--case", "f 8", "--l2", "hot"},
              "--l2 takes cold or warm, not 'hot'");
  expectError({"--artifact", "d", "--case", "f 8", "--replays", "abc"},
              "--replays takes a number of replays in 5..100000, not 'abc'");
  expectError({"--artifact", "d", "--case", "f 8", "--replays", "3"}, "not '3'");
  expectError({"--artifact", "d", "--case", "gqa8_f16 1x"}, "bad case 'gqa8_f16 1x'");
  expectError({"--artifact", "d", "--case", "gqa8_f16"}, "bad case 'gqa8_f16'");
  expectError({"--artifact", "d", "--case", "f -3"}, "bad case 'f -3'");
  expectError({"--artifact", "d", "--cases", "/nonexistent/x.cases"},
              "cannot read '/nonexistent/x.cases'");
}

TEST(BenchOptions, MissingOrUnknownArgumentsPrintTheUsage) {
  expectError({"--case", "f 8"}, "--artifact is required");
  expectError({"--artifact", "d"}, "no cases");
  expectError({"--artifact"}, "--artifact needs a value");
  expectError({"--artifact", "d", "--case", "f 8", "--bogus"}, "unknown argument '--bogus'");
  expectError({"--artifact", "d", "--case", "f 8", "--bogus"}, "usage: tessel-bench");
}

TEST(BenchOptions, BadCaseFileLinesNameFileAndLine) {
  std::string path = ::testing::TempDir() + "/bad.cases";
  {
    std::ofstream out(path);
    out << "# comment\n\ngqa8_f16 1x1024\ngqa8_f16 1x1024 extra\n";
  }
  expectError({"--artifact", "d", "--cases", path},
              path + ":4: bad case 'gqa8_f16 1x1024 extra'");
}

TEST(BenchOptions, CaseLengthsMustFitInt32) {
  BenchCase c;
  EXPECT_TRUE(parseCase("f 2147483647", c));
  EXPECT_FALSE(parseCase("f 2147483648", c));
  EXPECT_TRUE(parseCase("f 3x5,7", c));
  EXPECT_EQ(c.lens, (std::vector<int32_t>{5, 5, 5, 7}));
}
