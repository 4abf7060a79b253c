#include "common/cuda_runtime.h"
#ifndef CLARA_WITH_CUDA
namespace clara {
bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
}  // namespace clara
#endif
