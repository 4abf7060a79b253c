// 3-D connected-component labelling of a binary mask (6-, 18- or 26-connectivity).
#pragma once
#include <cstdint>
#include <vector>

namespace clara {

// labels[i] = 0 outside the mask, else 1..count numbered in raster (C) order of each
// component's first voxel; sizes[k] = voxels of component k+1. Returns count.
// Trusted arguments (the TypeScript side checks them); never throws.
int32_t label_components_cpu(const uint8_t* mask, const int64_t shape[3], int connectivity, int32_t* labels,
                             std::vector<int64_t>& sizes);

}  // namespace clara
