// Whether CUDA was compiled in and how many devices are present. The CUDA build
// defines these in cuda_runtime.cu; the CPU-only build in cuda_runtime_stub.cc.
#pragma once
namespace clara {
bool cuda_compiled();
int cuda_device_count();  // 0 when CUDA is not compiled in or no device/driver is present
}  // namespace clara
