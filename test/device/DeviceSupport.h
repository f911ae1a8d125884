// Shared helpers of the device tests and tessel-bench: RAII device memory, element
// conversion for uploads, and artifact discovery.
#ifndef TESSEL_TEST_DEVICE_DEVICESUPPORT_H
#define TESSEL_TEST_DEVICE_DEVICESUPPORT_H

#include "runtime/Runtime.h"
#include "test/reference/Float16.h"

#include <cuda.h>

#include <string>
#include <vector>

namespace tessel::device {

/// Aborts the test program with CUDA's message: device tests cannot continue past a
/// failed driver call.
void check(CUresult r, const char *what);

class DeviceMemory {
public:
  DeviceMemory() = default;
  explicit DeviceMemory(size_t bytes);
  ~DeviceMemory();
  DeviceMemory(DeviceMemory &&o) noexcept;
  DeviceMemory &operator=(DeviceMemory &&o) noexcept;
  DeviceMemory(const DeviceMemory &) = delete;
  CUdeviceptr ptr() const { return p; }
  size_t bytes() const { return n; }

private:
  CUdeviceptr p = 0;
  size_t n = 0;
};

reference::ElementType elementTypeOf(const std::string &name);
size_t elementBytes(reference::ElementType t);

/// Encodes floats (already representable) as the element type's bytes.
std::vector<uint8_t> encode(const std::vector<float> &values, reference::ElementType t);
std::vector<float> decode(const std::vector<uint8_t> &bytes, reference::ElementType t);

DeviceMemory upload(const std::vector<uint8_t> &bytes);
std::vector<uint8_t> download(const DeviceMemory &mem);

/// Retains the primary context of device 0 and makes it current.
void initCuda();

/// Artifact directories (each holding NAME.ptx + NAME.manifest.json) under `root`.
std::vector<std::string> artifactDirs(const std::string &root);
/// The PTX and manifest paths of the single artifact in `dir` (aborts if none).
struct ArtifactFiles {
  std::string ptx, manifest;
};
ArtifactFiles artifactFiles(const std::string &dir);
std::string readText(const std::string &path);

/// Loads the single artifact in `dir`.
std::unique_ptr<rt::Artifact> loadArtifact(const std::string &dir,
                                           const rt::LoadOptions &options);

} // namespace tessel::device

#endif
