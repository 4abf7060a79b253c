// Plain-TypeScript reference of connected-component labelling: breadth-first flood fill
// from each unlabelled mask voxel in C order (so components are numbered by first voxel).
export function labelComponentsRef(mask: Uint8Array, shape: number[], connectivity: 6 | 18 | 26): { labels: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = shape;
  const labels = new Int32Array(mask.length);
  const sizes: number[] = [];
  const offs: number[][] = [];
  for (let dx = -1; dx <= 1; dx++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dz = -1; dz <= 1; dz++) {
        const k = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (k === 0 || (connectivity === 6 && k > 1) || (connectivity === 18 && k > 2)) continue;
        offs.push([dx, dy, dz]);
      }
  const queue = new Int32Array(mask.length);
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || labels[s]) continue;
    const id = sizes.length + 1;
    let head = 0,
      tail = 0,
      size = 0;
    queue[tail++] = s;
    labels[s] = id;
    while (head < tail) {
      const i = queue[head++];
      size++;
      const x = Math.floor(i / (ny * nz)),
        y = Math.floor(i / nz) % ny,
        z = i % nz;
      for (const [dx, dy, dz] of offs) {
        const X = x + dx,
          Y = y + dy,
          Z = z + dz;
        if (X < 0 || X >= nx || Y < 0 || Y >= ny || Z < 0 || Z >= nz) continue;
        const j = (X * ny + Y) * nz + Z;
        if (mask[j] && !labels[j]) {
          labels[j] = id;
          queue[tail++] = j;
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}
