// Connected components of each class of a label volume (26-connectivity, as scipy.ndimage.label
// with a full 3x3x3 structure and MONAI's KeepLargestConnectedComponent default), by one raster
// pass with union-find over the 13 already-visited neighbours. Plain TypeScript for now.

/** Component count per class value (> 0) present in `label` ([ni, nj, nk], C order). */
export function componentCounts(label: ArrayLike<number>, shape: readonly number[]): Map<number, number> {
  const [ni, nj, nk] = shape;
  const n = ni * nj * nk;
  const parent = new Int32Array(n).fill(-1);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r];
    while (parent[x] !== r) { const nx = parent[x]; parent[x] = r; x = nx; }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) { if (ra < rb) parent[rb] = ra; else parent[ra] = rb; }
  };
  // The 13 neighbours that come earlier in C order.
  const offs: [number, number, number][] = [];
  for (let di = -1; di <= 0; di++) for (let dj = -1; dj <= 1; dj++) for (let dk = -1; dk <= 1; dk++) {
    if (di === 0 && (dj > 0 || (dj === 0 && dk >= 0))) continue;
    offs.push([di, dj, dk]);
  }
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let k = 0; k < nk; k++) {
        const idx = (i * nj + j) * nk + k;
        const v = label[idx];
        if (v <= 0) continue;
        parent[idx] = idx;
        for (const [di, dj, dk] of offs) {
          const a = i + di, b = j + dj, c = k + dk;
          if (a < 0 || b < 0 || b >= nj || c < 0 || c >= nk) continue;
          const q = (a * nj + b) * nk + c;
          if (parent[q] >= 0 && label[q] === v) union(idx, q);
        }
      }
    }
  }
  const counts = new Map<number, number>();
  for (let idx = 0; idx < n; idx++) {
    if (parent[idx] === idx) counts.set(label[idx], (counts.get(label[idx]) ?? 0) + 1);
  }
  return counts;
}
