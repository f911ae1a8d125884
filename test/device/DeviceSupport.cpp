#include "test/device/DeviceSupport.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace tessel::device {

void check(CUresult r, const char *what) {
  if (r != CUDA_SUCCESS) {
    std::fprintf(stderr, "CUDA failure in %s: %s\n", what, rt::describeCudaError(r).c_str());
    std::abort();
  }
}

DeviceMemory::DeviceMemory(size_t bytes) : n(bytes) {
  check(cuMemAlloc(&p, bytes ? bytes : 16), "cuMemAlloc");
}
DeviceMemory::~DeviceMemory() {
  if (p)
    cuMemFree(p);
}
DeviceMemory::DeviceMemory(DeviceMemory &&o) noexcept : p(o.p), n(o.n) { o.p = 0; }
DeviceMemory &DeviceMemory::operator=(DeviceMemory &&o) noexcept {
  if (this != &o) {
    if (p)
      cuMemFree(p);
    p = o.p;
    n = o.n;
    o.p = 0;
  }
  return *this;
}

reference::ElementType elementTypeOf(const std::string &name) {
  if (name == "f16")
    return reference::ElementType::F16;
  if (name == "bf16")
    return reference::ElementType::BF16;
  return reference::ElementType::F32;
}

size_t elementBytes(reference::ElementType t) {
  return t == reference::ElementType::F32 ? 4 : 2;
}

std::vector<uint8_t> encode(const std::vector<float> &values, reference::ElementType t) {
  std::vector<uint8_t> out(values.size() * elementBytes(t));
  for (size_t i = 0; i < values.size(); ++i) {
    if (t == reference::ElementType::F32) {
      std::memcpy(&out[4 * i], &values[i], 4);
      continue;
    }
    uint16_t h = t == reference::ElementType::F16 ? reference::floatToHalfBits(values[i])
                                                  : reference::floatToBf16Bits(values[i]);
    std::memcpy(&out[2 * i], &h, 2);
  }
  return out;
}

std::vector<float> decode(const std::vector<uint8_t> &bytes, reference::ElementType t) {
  size_t n = bytes.size() / elementBytes(t);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (t == reference::ElementType::F32) {
      std::memcpy(&out[i], &bytes[4 * i], 4);
      continue;
    }
    uint16_t h;
    std::memcpy(&h, &bytes[2 * i], 2);
    out[i] = t == reference::ElementType::F16 ? reference::halfBitsToFloat(h)
                                              : reference::bf16BitsToFloat(h);
  }
  return out;
}

DeviceMemory upload(const std::vector<uint8_t> &bytes) {
  DeviceMemory mem(bytes.size());
  if (!bytes.empty())
    check(cuMemcpyHtoD(mem.ptr(), bytes.data(), bytes.size()), "cuMemcpyHtoD");
  return mem;
}

std::vector<uint8_t> download(const DeviceMemory &mem) {
  std::vector<uint8_t> bytes(mem.bytes());
  if (!bytes.empty())
    check(cuMemcpyDtoH(bytes.data(), mem.ptr(), bytes.size()), "cuMemcpyDtoH");
  return bytes;
}

void initCuda() {
  static bool done = false;
  if (done)
    return;
  check(cuInit(0), "cuInit");
  CUdevice dev;
  check(cuDeviceGet(&dev, 0), "cuDeviceGet");
  CUcontext ctx;
  check(cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  done = true;
}

std::vector<std::string> artifactDirs(const std::string &root) {
  std::vector<std::string> dirs;
  namespace fs = std::filesystem;
  if (!fs::is_directory(root))
    return dirs;
  for (const auto &entry : fs::directory_iterator(root))
    if (entry.is_directory())
      dirs.push_back(entry.path().string());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

ArtifactFiles artifactFiles(const std::string &dir) {
  namespace fs = std::filesystem;
  const std::string suffix = ".manifest.json";
  for (const auto &entry : fs::directory_iterator(dir)) {
    std::string path = entry.path().string();
    if (path.size() > suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      return {path.substr(0, path.size() - suffix.size()) + ".ptx", path};
  }
  std::fprintf(stderr, "no manifest in %s\n", dir.c_str());
  std::abort();
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<rt::Artifact> loadArtifact(const std::string &dir,
                                           const rt::LoadOptions &options) {
  ArtifactFiles files = artifactFiles(dir);
  std::unique_ptr<rt::Artifact> artifact;
  if (rt::Error e = rt::Artifact::load(files.ptx, files.manifest, options, artifact)) {
    std::fprintf(stderr, "loading %s: %s\n", files.manifest.c_str(), e.message().c_str());
    std::abort();
  }
  return artifact;
}

} // namespace tessel::device
