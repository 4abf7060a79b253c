// Worker-thread entry: rebuilds the cacheable transform prefix from workerData.recipes,
// then runs tasks {id, sample, seed} one at a time and posts the result with its
// ArrayBuffers in the transfer list. Errors go back as messages (never thrown across).
// {type: 'close'} ends the thread after the item in flight.
import { parentPort, workerData, threadId } from 'node:worker_threads';
import { Rng } from '../../util/random.js';
import { Compose } from '../../transforms/compose.js';
import type { ComponentRecipe } from '../../components/recipe.js';
import { buildPrefix } from './build-prefix.js';
import { transferList } from './transfer.js';

interface Task {
  type: 'task';
  id: number;
  sample: Record<string, unknown>;
  seed: number;
}

const port = parentPort!;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function main(): Promise<void> {
  let compose: Compose;
  try {
    compose = new Compose(await buildPrefix((workerData as { recipes: ComponentRecipe[] }).recipes), 0);
  } catch (e) {
    port.postMessage({ type: 'init-error', message: errText(e) });
    return;
  }
  let busy = false,
    closing = false;
  // Exits only between items: never while a native op of this thread is in flight.
  const exitIfClosing = () => {
    if (closing && !busy) process.exit(0);
  };
  port.on('message', async (m: Task | { type: 'close' }) => {
    if (m.type === 'close') {
      closing = true;
      exitIfClosing();
      return;
    }
    busy = true;
    try {
      const result = await compose.applyRange(m.sample, 0, compose.transforms.length, new Rng(m.seed));
      const msg = { type: 'done', id: m.id, result, threadId };
      try {
        port.postMessage(msg, transferList(result));
      } catch {
        port.postMessage(msg); // an untransferable buffer: copy instead
      }
    } catch (e) {
      port.postMessage({ type: 'fail', id: m.id, message: errText(e), name: e instanceof Error ? e.name : 'Error' });
    } finally {
      busy = false;
      exitIfClosing();
    }
  });
  port.postMessage({ type: 'ready', threadId });
}

void main();
