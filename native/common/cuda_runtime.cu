#include <cuda_runtime.h>

#include "common/cuda_runtime.h"

namespace clara {
bool cuda_compiled() { return true; }
int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error: no driver or no device
    return 0;
  }
  return n;
}
}  // namespace clara
