// Connected components, two raster passes with union-find (path halving, union by the
// smaller root so the first-seen voxel's provisional label is the root). Pass 1 gives each
// mask voxel the root of its already visited neighbours (the half of the 6/18/26
// neighbourhood before it in C order) and merges the roots it sees; pass 2 renumbers the
// roots 1..n in the order their components first appear.
#include <algorithm>
#include <cstdlib>

#include "transforms/components.h"

namespace clara {
namespace {

int32_t find(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

int32_t label_components_cpu(const uint8_t* mask, const int64_t shape[3], int connectivity, int32_t* labels,
                             std::vector<int64_t>& sizes) {
  const int64_t nx = shape[0], ny = shape[1], nz = shape[2];
  const int64_t n = nx * ny * nz;
  // The visited half of the neighbourhood: offsets (dx, dy, dz) before (0, 0, 0) in C order.
  struct Off { int dx, dy, dz; };
  std::vector<Off> offs;
  for (int dx = -1; dx <= 0; ++dx)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dz = -1; dz <= 1; ++dz) {
        if (dx == 0 && (dy > 0 || (dy == 0 && dz >= 0))) continue;
        const int nonzero = (dx != 0) + (dy != 0) + (dz != 0);
        if (connectivity == 6 && nonzero > 1) continue;
        if (connectivity == 18 && nonzero > 2) continue;
        offs.push_back({dx, dy, dz});
      }
  std::vector<int32_t> parent;
  parent.reserve(1024);
  for (int64_t x = 0; x < nx; ++x) {
    for (int64_t y = 0; y < ny; ++y) {
      for (int64_t z = 0; z < nz; ++z) {
        const int64_t i = (x * ny + y) * nz + z;
        if (!mask[i]) { labels[i] = 0; continue; }
        int32_t root = -1;
        for (const Off& o : offs) {
          const int64_t X = x + o.dx, Y = y + o.dy, Z = z + o.dz;
          if (X < 0 || Y < 0 || Y >= ny || Z < 0 || Z >= nz) continue;
          const int32_t l = labels[(X * ny + Y) * nz + Z];
          if (l == 0) continue;
          const int32_t r = find(parent, l - 1);
          if (root < 0) root = r;
          else if (r != root) {
            const int32_t lo = std::min(r, root), hi = std::max(r, root);
            parent[hi] = lo;
            root = lo;
          }
        }
        if (root < 0) {
          root = static_cast<int32_t>(parent.size());
          parent.push_back(root);
        }
        labels[i] = root + 1;
      }
    }
  }
  // Roots are the smallest provisional label of their set, and provisional labels grow in
  // raster order, so numbering roots in increasing order numbers components by first voxel.
  std::vector<int32_t> final_label(parent.size(), 0);
  int32_t count = 0;
  for (size_t k = 0; k < parent.size(); ++k) {
    const int32_t r = find(parent, static_cast<int32_t>(k));
    if (r == static_cast<int32_t>(k)) final_label[k] = ++count;
  }
  sizes.assign(static_cast<size_t>(count), 0);
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] == 0) continue;
    const int32_t l = final_label[find(parent, labels[i] - 1)];
    labels[i] = l;
    ++sizes[static_cast<size_t>(l - 1)];
  }
  return count;
}

}  // namespace clara
