// The data entries of a Clara dataset block, from src/io's datalist reader (paths absolute).
import { loadClaraDatalist } from '../io/datalist.js';
import type { Sample } from '../transforms/types.js';

export function readClaraDatalist(
  args: { data_list_file_path?: unknown; data_file_base_dir?: unknown; data_list_key?: unknown },
  place: { file: string; path: string },
  mmarRoot?: string,
): Sample[] {
  return loadClaraDatalist(args, { mmarRoot, place }) as Sample[];
}
