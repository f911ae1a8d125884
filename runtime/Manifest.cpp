#include "runtime/Manifest.h"

#include "runtime/abi/AttentionABI.h"

#include <nlohmann/json.hpp>

namespace tessel::rt {
namespace {

using json = nlohmann::json;

struct ParseError {
  std::string message;
};

const json &field(const json &obj, const char *key, const std::string &where) {
  if (!obj.is_object() || !obj.contains(key))
    throw ParseError{where + ": missing field '" + key + "'"};
  return obj.at(key);
}
int64_t intField(const json &obj, const char *key, const std::string &where) {
  const json &v = field(obj, key, where);
  if (!v.is_number_integer())
    throw ParseError{where + ": field '" + key + "' must be an integer"};
  return v.get<int64_t>();
}
std::string stringField(const json &obj, const char *key, const std::string &where) {
  const json &v = field(obj, key, where);
  if (!v.is_string())
    throw ParseError{where + ": field '" + key + "' must be a string"};
  return v.get<std::string>();
}
std::optional<int64_t> optionalInt(const json &obj, const char *key,
                                   const std::string &where) {
  const json &v = field(obj, key, where);
  if (v.is_null())
    return std::nullopt;
  if (!v.is_number_integer())
    throw ParseError{where + ": field '" + key + "' must be an integer or null"};
  return v.get<int64_t>();
}

KernelInfo parseKernel(const json &k, const std::string &where) {
  KernelInfo info;
  info.name = stringField(k, "name", where);
  std::string at = where + " kernel '" + info.name + "'";
  info.role = stringField(k, "role", at);
  info.block = intField(k, "block", at);
  if (info.block != abi::kBlockThreads)
    throw ParseError{at + ": block " + std::to_string(info.block) + " differs from the ABI's " +
                     std::to_string(abi::kBlockThreads)};
  if (info.role == "attention") {
    const json &grid = field(k, "grid", at);
    info.requestedWorkers = intField(grid, "requested", at + " grid");
    info.maxCtasPerSm = intField(grid, "max_ctas_per_sm", at + " grid");
    if (info.requestedWorkers < 0 || info.maxCtasPerSm < 1)
      throw ParseError{at + " grid: expected requested >= 0 and max_ctas_per_sm >= 1"};
    info.traceBytesPerWorker =
        intField(field(k, "trace", at), "bytes_per_worker", at + " trace");
    if (info.traceBytesPerWorker != 0 && info.traceBytesPerWorker != abi::kTraceRecordBytes)
      throw ParseError{at + " trace: bytes_per_worker must be 0 or " +
                       std::to_string(abi::kTraceRecordBytes) + " (this runtime's record)"};
    const json &pdl = field(k, "programmatic_launch", at);
    if (!pdl.is_boolean())
      throw ParseError{at + ": field 'programmatic_launch' must be true or false"};
    info.programmaticLaunch = pdl.get<bool>();
  }
  const json &smem = field(k, "dynamic_shared_memory", at);
  std::string smemAt = at + " dynamic_shared_memory";
  info.sharedBaseBytes = intField(smem, "base_bytes", smemAt);
  info.sharedPerSequenceBytes = intField(smem, "per_sequence_bytes", smemAt);
  info.sharedAlignBytes = intField(smem, "align_bytes", smemAt);
  // The kernels index their offsets and lengths with the ABI's layout; anything else was
  // written by a different compiler.
  if (info.sharedPerSequenceBytes != abi::kSharedPerSequenceBytes ||
      info.sharedBaseBytes < abi::kSharedBaseBytes ||
      info.sharedAlignBytes != abi::kSharedAlignBytes ||
      (info.sharedBaseBytes - abi::kSharedBaseBytes) % 128 != 0)
    throw ParseError{smemAt + ": expected base_bytes = 4 + a multiple of 128, "
                              "per_sequence_bytes = 8 and align_bytes = 16"};
  const json &params = field(k, "params", at);
  if (!params.is_array())
    throw ParseError{at + ": 'params' must be an array"};
  for (const json &p : params)
    info.params.push_back(stringField(p, "name", at + " param"));
  return info;
}

/// The parameter names must be exactly the ABI this runtime was built with.
template <size_t N>
void checkParams(const KernelInfo &k, const std::array<abi::Param, N> &expected,
                 bool withMaxLen) {
  std::vector<std::string> names;
  for (const abi::Param &p : expected)
    names.push_back(p.name);
  if (withMaxLen)
    names.push_back(abi::kMaxLenParam.name);
  if (k.params != names)
    throw ParseError{"kernel '" + k.name +
                     "': parameters differ from this runtime's ABI (was the artifact "
                     "compiled by a different tesselc?)"};
}

} // namespace

std::optional<Manifest> parseManifest(const std::string &text, std::string &error) {
  try {
    json root = json::parse(text);
    Manifest m;
    if (stringField(root, "format", "manifest") != "tessel-manifest")
      throw ParseError{"manifest: 'format' is not 'tessel-manifest'"};
    if (intField(root, "version", "manifest") != 1)
      throw ParseError{"manifest: unsupported version"};
    m.name = stringField(root, "name", "manifest");
    m.ptxFile = stringField(root, "ptx", "manifest");
    m.target = stringField(root, "target", "manifest");
    const json &functions = field(root, "functions", "manifest");
    if (!functions.is_array())
      throw ParseError{"manifest: 'functions' must be an array"};
    for (const json &f : functions) {
      AttentionInfo a;
      a.name = stringField(f, "name", "function");
      std::string where = "function '" + a.name + "'";
      if (stringField(f, "kind", where) != "attention")
        throw ParseError{where + ": unsupported kind"};
      a.elementType = stringField(f, "element_type", where);
      if (a.elementType != "f16" && a.elementType != "bf16" && a.elementType != "f32")
        throw ParseError{where + ": unsupported element type '" + a.elementType + "'"};
      a.qHeads = intField(f, "q_heads", where);
      a.kvHeads = intField(f, "kv_heads", where);
      a.qkDim = intField(f, "qk_dim", where);
      a.vDim = intField(f, "v_dim", where);
      a.tile = intField(f, "tile", where);
      if (a.qHeads <= 0 || a.kvHeads <= 0 || a.qHeads % a.kvHeads || a.qkDim <= 0 ||
          a.vDim <= 0 || a.tile <= 0)
        throw ParseError{where + ": inconsistent head counts, head dims or tile"};
      std::string fixup = stringField(f, "fixup", where);
      if (fixup != "in_kernel" && fixup != "separate")
        throw ParseError{where + ": unknown fixup '" + fixup + "'"};
      a.inKernelFixup = fixup == "in_kernel";
      if (f.contains("head_pad")) {
        std::string pad = stringField(f, "head_pad", where);
        if (pad != "heads_ge_workers" && pad != "none")
          throw ParseError{where + ": unknown head_pad '" + pad +
                           "' (expected heads_ge_workers or none)"};
        a.padsHeads = pad == "heads_ge_workers";
      }
      a.staticBatch = optionalInt(f, "static_batch", where);
      a.staticMaxLen = optionalInt(f, "static_max_len", where);
      const json &kernels = field(f, "kernels", where);
      if (!kernels.is_array())
        throw ParseError{where + ": 'kernels' must be an array"};
      for (const json &k : kernels) {
        KernelInfo info = parseKernel(k, where);
        if (info.role == "attention") {
          checkParams(info, abi::kAttentionParams, true);
          a.attention = info;
        } else if (info.role == "merge") {
          checkParams(info, abi::kMergeParams, false);
          a.merge = info;
        } else {
          throw ParseError{where + ": unknown kernel role '" + info.role + "'"};
        }
      }
      if (a.attention.name.empty())
        throw ParseError{where + ": no attention kernel"};
      if (a.inKernelFixup == a.merge.has_value())
        throw ParseError{where + ": a merge kernel is needed exactly for the separate fix-up"};
      m.functions.push_back(std::move(a));
    }
    return m;
  } catch (const ParseError &e) {
    error = e.message;
  } catch (const json::exception &e) {
    error = std::string("manifest is not valid JSON: ") + e.what();
  }
  return std::nullopt;
}

} // namespace tessel::rt
