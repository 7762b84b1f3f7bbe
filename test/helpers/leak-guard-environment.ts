/**
 * jest's node environment plus a leak guard (jest.config.js `testEnvironment`). After a test file's
 * last hook has run, whatever is still in its live-resources registry (test/helpers/live-resources.ts)
 * was started and never stopped: the guard stops it, so jest can exit instead of waiting on an open
 * socket or a child process, and fails the file naming each one, so the missing afterAll/finally is
 * fixed rather than hidden. Tests still stop what they start; this only catches the ones that do not.
 */
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import { LIVE_RESOURCES_KEY, type LiveResource } from './live-resources';

/** Bound of one forced stop: a resource that cannot stop must not hang the run either. */
const STOP_BOUND_MS = 15_000;

async function stopBounded(r: LiveResource): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not stop within ${STOP_BOUND_MS} ms`), STOP_BOUND_MS);
  });
  try {
    return await Promise.race([Promise.resolve(r.stop()).then(() => null), bound]);
  } catch (err) {
    return `stop failed: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

export default class LeakGuardEnvironment extends TestEnvironment {
  async handleTestEvent(event: Circus.AsyncEvent | Circus.SyncEvent, state: Circus.State): Promise<void> {
    if (event.name !== 'run_finish') return;
    const live = (this.global as unknown as Record<string, Set<LiveResource> | undefined>)[LIVE_RESOURCES_KEY];
    if (!live || live.size === 0) return;
    const left = [...live];
    live.clear();
    const lines: string[] = [];
    for (const r of left) {
      const problem = await stopBounded(r);
      lines.push(`  - ${r.what}${problem ? `: ${problem}` : ''}`);
    }
    const error = new Error(
      `left running after the last test of the file (stopped now by the leak guard); ` +
        `stop each in afterEach/afterAll/finally:\n${lines.join('\n')}`,
    );
    error.stack = error.message; // where the guard noticed says nothing; the list says who started what
    state.unhandledErrors.push(error);
  }
}
