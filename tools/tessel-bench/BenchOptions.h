// tessel-bench's command line and case lists, parsed without CUDA so that the messages
// for bad input are unit-tested on machines without a GPU (test/unit/BenchOptionsTest).
#ifndef TESSEL_TOOLS_TESSEL_BENCH_BENCHOPTIONS_H
#define TESSEL_TOOLS_TESSEL_BENCH_BENCHOPTIONS_H

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::bench {

/// One timed case: `FUNCTION LENS`, LENS a comma list of `L` or `NxL` (LensSpec.h).
struct BenchCase {
  std::string function;
  std::string lensText;
  std::vector<int32_t> lens;
};

struct BenchOptions {
  std::string artifactDir;
  std::vector<BenchCase> cases;
  int replays = 50;
  bool warmL2 = false; // --l2 warm: one copy of the caches, read from the L2 when it fits
  bool trace = false;  // --trace: print the last launch's phase trace (--trace-phases build)
  bool traceCtas = false;          // --trace-ctas: --trace, plus every CTA's phases
  bool programmaticLaunch = false; // --pdl: LoadOptions::programmaticLaunch
};

inline constexpr const char *kBenchUsage =
    "usage: tessel-bench --artifact DIR [--cases FILE] [--case \"FUNCTION LENS\"]... "
    "[--replays N] [--l2 cold|warm] [--trace | --trace-ctas] [--pdl]";

/// Parses one case line; false when it is not `FUNCTION LENS` with lengths in int32.
bool parseCase(const std::string &line, BenchCase &c);

/// Parses the arguments after the program name (`--cases` files are read). Returns an
/// empty string on success, else the message to print: the usage line for a missing or
/// unknown argument, else one naming the bad value.
std::string parseBenchArgs(const std::vector<std::string> &args, BenchOptions &options);

} // namespace tessel::bench

#endif
