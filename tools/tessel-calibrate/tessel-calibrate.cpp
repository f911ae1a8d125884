// tessel-calibrate: fits the stream-K cost model's constants to tessel-bench logs.
//
//   tessel-calibrate LOG... [--device h100|h200] [--group-merge lanes|lanes32|batches]
//                    [--head-pad batch|none] [--check]
//
// LOG: tessel-bench output (one JSON object per line; other lines are ignored), measured
// on the --device (default h100), whose directly measured bandwidth and launch time the
// fit keeps. Prints the fitted constants, each measurement beside its prediction, the
// measured and predicted best tile per case, and the tile `chooseConfig` picks per kernel
// shape under the fitted constants — one fit per kernel class (CostModel.h).
// --group-merge and --head-pad say what the swept kernels did (their partial merges;
// whether their partition padded heads, schedule::headPadFor: v38 on; a log line's own
// `head_pad`, which tessel-bench writes since v38, wins), so that each measurement is
// profiled with the schedule it ran. --check exits 1 unless each fit
// equals the device's DeviceModel for its class (lit tests run it on the committed
// sweeps, so the constants cannot drift from the data).
#include "runtime/schedule/Calibration.h"
#include "runtime/schedule/LensSpec.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

using namespace tessel::schedule;
using json = nlohmann::json;

namespace {

bool readLog(const std::string &path, std::vector<Measurement> &out, std::string &error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read '" + path + "'";
    return false;
  }
  std::string line;
  for (int lineNo = 1; std::getline(in, line); ++lineNo) {
    if (line.empty() || line[0] != '{')
      continue;
    std::string where = path + ":" + std::to_string(lineNo);
    try {
      json j = json::parse(line);
      Measurement m;
      m.label = j.at("function").get<std::string>() + " " + j.at("lens").get<std::string>();
      if (!parseLensSpec(j.at("lens").get<std::string>(), m.lens)) {
        error = where + ": malformed lens '" + j.at("lens").get<std::string>() + "'";
        return false;
      }
      m.shape = KernelShape{j.at("q_heads").get<int64_t>(), j.at("kv_heads").get<int64_t>(),
                            j.at("qk_dim").get<int64_t>(), j.at("v_dim").get<int64_t>(),
                            j.at("element_bytes").get<int64_t>()};
      m.tile = j.at("tile").get<int64_t>();
      m.workers = j.at("workers").get<int64_t>();
      m.fixup = j.at("fixup").get<std::string>() == "separate" ? Fixup::Separate
                                                                : Fixup::InKernel;
      m.us = j.at("us").get<double>();
      if (j.contains("head_pad")) // tessel-bench since v38 logs the pad it ran
        m.headPad = j.at("head_pad").get<int64_t>();
      if (m.tile <= 0 || m.workers <= 0 || m.shape.kvHeads <= 0 || !(m.us > 0)) {
        error = where + ": non-positive tile, workers, kv_heads or time";
        return false;
      }
      out.push_back(m);
    } catch (const json::exception &e) {
      error = where + ": " + e.what() +
              " (needs tessel-bench's function, lens, q_heads, kv_heads, qk_dim, v_dim, "
              "element_bytes, fixup, tile, workers, us)";
      return false;
    }
  }
  return true;
}

bool sameModel(const DeviceModel &a, const DeviceModel &b) {
  auto eq = [](double x, double y) { return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(x)); };
  return eq(a.launchUs, b.launchUs) && eq(a.workerBandwidth, b.workerBandwidth) &&
         eq(a.segmentUs, b.segmentUs) && eq(a.tileUs, b.tileUs) && eq(a.fixupUs, b.fixupUs) &&
         eq(a.fixupBatchUs, b.fixupBatchUs);
}

void printModel(const DeviceModel &d) {
  std::printf("launchUs = %.2f, workerBandwidth = %.0fe3 (B/us), segmentUs = %.2f, "
              "tileUs = %.3f, fixupUs = %.2f, fixupBatchUs = %.2f\n",
              d.launchUs, d.workerBandwidth / 1e3, d.segmentUs, d.tileUs, d.fixupUs,
              d.fixupBatchUs);
}

/// Each measurement beside its prediction, the best tile per case measured and
/// predicted, and the tile chooseConfig picks per kernel shape under the fit.
void report(const std::vector<Measurement> &data, const Calibration &c) {
  std::printf("%-40s %6s %10s %10s %7s\n", "case", "tile", "measured", "predicted", "ratio");
  std::map<std::string, std::pair<int64_t, double>> bestMeasured, bestPredicted;
  for (size_t i = 0; i < data.size(); ++i) {
    const Measurement &m = data[i];
    std::printf("%-40.40s %6lld %10.2f %10.2f %7.3f\n", m.label.c_str(), (long long)m.tile,
                m.us, c.predicted[i], c.predicted[i] / m.us);
    auto keep = [&](auto &best, double t) {
      auto it = best.find(m.label);
      if (it == best.end() || t < it->second.second)
        best[m.label] = {m.tile, t};
    };
    keep(bestMeasured, m.us);
    keep(bestPredicted, c.predicted[i]);
  }
  std::printf("\n%-40s %17s %18s\n", "case", "best tile (meas.)", "best tile (model)");
  for (const auto &[label, best] : bestMeasured)
    std::printf("%-40.40s %17lld %18lld\n", label.c_str(), (long long)best.first,
                (long long)bestPredicted[label].first);
  std::map<std::string, KernelShape> shapes;
  for (const Measurement &m : data)
    shapes[m.label.substr(0, m.label.find(' '))] = m.shape;
  for (const auto &[name, shape] : shapes) {
    Choice ch = chooseConfig(shape, c.model);
    std::printf("chooseConfig(%s) under the fit: tile %lld (worst predicted/floor %.2f)\n",
                name.c_str(), (long long)ch.tile, ch.worstSlowdown);
  }
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> logs;
  bool check = false;
  std::string device = "h100";
  // What the swept kernels did with groups of 17+ slots (CostModel.h, GroupMerge), and
  // whether their partition padded heads.
  std::string groupMerge = "lanes", headPad = "batch";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--check")
      check = true;
    else if (arg == "--device" || arg == "--group-merge" || arg == "--head-pad") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tessel-calibrate: %s needs a value\n", arg.c_str());
        return 2;
      }
      (arg == "--device"        ? device
       : arg == "--group-merge" ? groupMerge
                                : headPad) = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "tessel-calibrate: unknown option '%s'\n", arg.c_str());
      return 2;
    } else
      logs.push_back(arg);
  }
  if (logs.empty()) {
    std::fprintf(stderr, "usage: tessel-calibrate LOG... [--device h100|h200] "
                         "[--group-merge lanes|lanes32|batches] [--head-pad batch|none] "
                         "[--check]\n");
    return 2;
  }
  const std::map<std::string, GroupMerge> merges = {
      {"lanes", GroupMerge::LanesWhereLaidOut},
      {"lanes32", GroupMerge::LanesUpTo32},
      {"batches", GroupMerge::Batches}};
  auto chosen = merges.find(groupMerge);
  if (chosen == merges.end()) {
    std::fprintf(
        stderr,
        "tessel-calibrate: --group-merge takes lanes (kernels since v35), lanes32 "
        "(v33-v34) or batches (before), got '%s'\n",
        groupMerge.c_str());
    return 2;
  }
  const GroupMerge merge = chosen->second;
  if (headPad != "batch" && headPad != "none") {
    std::fprintf(stderr,
                 "tessel-calibrate: --head-pad takes batch (kernels since v38) or none "
                 "(before), got '%s'\n",
                 headPad.c_str());
    return 2;
  }
  if (!isKnownDevice(device)) {
    std::fprintf(stderr, "tessel-calibrate: --device takes one of %s, got '%s'\n",
                 allKnownDevices().c_str(), device.c_str());
    return 2;
  }
  std::vector<Measurement> data;
  for (const std::string &log : logs) {
    std::string error;
    if (!readLog(log, data, error)) {
      std::fprintf(stderr, "tessel-calibrate: %s\n", error.c_str());
      return 1;
    }
  }
  if (data.empty()) {
    std::fprintf(stderr, "tessel-calibrate: no measurements in the logs\n");
    return 1;
  }
  for (Measurement &m : data) {
    m.merge = merge;
    if (!m.headPad && headPad == "none")
      m.headPad = 0; // a log without head_pad, from kernels before v38
  }
  const int64_t widestGroup =
      merge == GroupMerge::LanesWhereLaidOut ? kLaneMergeMax : kSingleGroupMax;
  std::printf("groups of %lld..%lld slots merged %s; heads %s\n\n",
              (long long)kLaneMergeMin, (long long)widestGroup,
              merge == GroupMerge::Batches ? "in batches" : "by lanes where laid out",
              headPad == "batch" ? "padded where B x Hkv >= workers" : "not padded");
  // The kernels' layout classes have different costs: one fit per class.
  std::map<KernelClass, std::vector<Measurement>> byClass;
  for (const Measurement &m : data)
    byClass[kernelClass(m.shape)].push_back(m);
  bool drift = false;
  for (const auto &[cls, measurements] : byClass) {
    DeviceModel reference = *deviceModelNamed(device, measurements.front().shape);
    Calibration c = calibrate(measurements, reference);
    std::printf("== kernel class %s: fitted on %zu measurements\n", kernelClassName(cls),
                measurements.size());
    printModel(c.model);
    std::printf("rms log error %.3f, max relative error %.1f%%\n\n", c.rmsLogError,
                100 * c.maxRelError);
    report(measurements, c);
    if (check && !sameModel(c.model, reference)) {
      std::printf("DeviceModel::%s() differs from this fit; it has: ", device.c_str());
      printModel(reference);
      drift = true;
    }
    std::printf("\n");
  }
  return drift ? 1 : 0;
}
