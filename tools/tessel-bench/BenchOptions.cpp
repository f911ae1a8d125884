#include "tools/tessel-bench/BenchOptions.h"

#include "runtime/schedule/LensSpec.h"

#include <climits>
#include <fstream>
#include <sstream>

namespace tessel::bench {

bool parseCase(const std::string &line, BenchCase &c) {
  std::stringstream ss(line);
  std::string extra;
  if (!(ss >> c.function >> c.lensText) || (ss >> extra))
    return false;
  std::vector<int64_t> lens;
  if (!schedule::parseLensSpec(c.lensText, lens))
    return false;
  c.lens.clear();
  for (int64_t l : lens) {
    if (l > INT32_MAX)
      return false;
    c.lens.push_back(static_cast<int32_t>(l));
  }
  return true;
}

std::string parseBenchArgs(const std::vector<std::string> &args, BenchOptions &o) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    bool hasValue = i + 1 < args.size();
    if (arg == "--trace" || arg == "--trace-ctas") {
      o.trace = true;
      o.traceCtas = o.traceCtas || arg == "--trace-ctas";
      continue;
    }
    if (arg == "--pdl") {
      o.programmaticLaunch = true;
      continue;
    }
    if (arg != "--artifact" && arg != "--replays" && arg != "--l2" && arg != "--case" &&
        arg != "--cases")
      return std::string("tessel-bench: unknown argument '") + arg + "'\n" + kBenchUsage;
    if (!hasValue)
      return "tessel-bench: " + arg + " needs a value\n" + kBenchUsage;
    const std::string &value = args[++i];
    if (arg == "--artifact") {
      o.artifactDir = value;
    } else if (arg == "--replays") {
      size_t used = 0;
      long n = 0;
      try {
        n = std::stol(value, &used);
      } catch (...) {
        used = 0;
      }
      if (used != value.size() || n < 5 || n > 100000)
        return "tessel-bench: --replays takes a number of replays in 5..100000, not '" +
               value + "'";
      o.replays = static_cast<int>(n);
    } else if (arg == "--l2") {
      if (value != "cold" && value != "warm")
        return "tessel-bench: --l2 takes cold or warm, not '" + value + "'";
      o.warmL2 = value == "warm";
    } else if (arg == "--case") {
      BenchCase c;
      if (!parseCase(value, c))
        return "tessel-bench: bad case '" + value + "' (expected \"FUNCTION LENS\")";
      o.cases.push_back(c);
    } else { // --cases
      std::ifstream in(value);
      if (!in)
        return "tessel-bench: cannot read '" + value + "'";
      std::string line;
      int lineNo = 0;
      while (std::getline(in, line)) {
        ++lineNo;
        if (line.empty() || line[0] == '#')
          continue;
        BenchCase c;
        if (!parseCase(line, c))
          return "tessel-bench: " + value + ":" + std::to_string(lineNo) + ": bad case '" +
                 line + "' (expected \"FUNCTION LENS\")";
        o.cases.push_back(c);
      }
    }
  }
  if (o.artifactDir.empty())
    return std::string("tessel-bench: --artifact is required\n") + kBenchUsage;
  if (o.cases.empty())
    return std::string("tessel-bench: no cases (--case or --cases)\n") + kBenchUsage;
  return {};
}

} // namespace tessel::bench
