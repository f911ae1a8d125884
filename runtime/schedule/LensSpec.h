// The text form of a batch's context lengths used by tessel-bench cases and its
// measurement logs: a comma list of `L` (one sequence) or `NxL` (N sequences of L),
// e.g. "131072,7x1024". MLIR-free, header-only.
#ifndef TESSEL_RUNTIME_SCHEDULE_LENSSPEC_H
#define TESSEL_RUNTIME_SCHEDULE_LENSSPEC_H

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace tessel::schedule {

/// Appends the lengths of `text` to `lens`; false on malformed text or a negative length.
inline bool parseLensSpec(const std::string &text, std::vector<int64_t> &lens) {
  std::stringstream ss(text);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    size_t x = item.find('x');
    try {
      size_t used = 0;
      if (x == std::string::npos) {
        long long l = std::stoll(item, &used);
        if (used != item.size() || l < 0)
          return false;
        lens.push_back(l);
      } else {
        std::string count = item.substr(0, x), len = item.substr(x + 1);
        long long n = std::stoll(count, &used);
        if (used != count.size() || n <= 0)
          return false;
        long long l = std::stoll(len, &used);
        if (used != len.size() || l < 0)
          return false;
        lens.insert(lens.end(), static_cast<size_t>(n), l);
      }
    } catch (...) {
      return false;
    }
    any = true;
  }
  return any;
}

} // namespace tessel::schedule

#endif
