/**
 * What a test file has started and not stopped yet: servers, fake services, sshd, processes, temp
 * dirs. Every helper that starts something registers it here and deregisters it when stopped, so
 * test/helpers/leak-guard-environment.ts can tell, after the file's last afterAll, that something
 * was left running: it stops it (the run never hangs on it) and fails the file (the leak is seen).
 *
 * The registry lives on the test file's global object, which is the environment's `this.global`.
 */
export interface LiveResource {
  /** Says what it is and which test started it, e.g. `rune serve (faults.test.ts: kill -9 …)`. */
  what: string;
  stop: () => unknown;
}

export const LIVE_RESOURCES_KEY = '__runeLiveResources';

export function liveResources(): Set<LiveResource> {
  const g = globalThis as unknown as Record<string, Set<LiveResource> | undefined>;
  return (g[LIVE_RESOURCES_KEY] ??= new Set<LiveResource>());
}

/** The running test's name, or the file's when started in a hook (for the leak report). */
function startedBy(): string {
  const state = expect.getState();
  const file = (state.testPath ?? '').split('/').pop() ?? '';
  return state.currentTestName ? `${file}: ${state.currentTestName}` : `${file}, in a hook`;
}

/**
 * Registers a started resource; call the returned function once it is stopped. `stop` is what the
 * guard calls when a test forgot to.
 */
export function track(what: string, stop: () => unknown): () => void {
  const entry: LiveResource = { what: `${what} (started by ${startedBy()})`, stop };
  liveResources().add(entry);
  return () => void liveResources().delete(entry);
}

/**
 * Wraps an idempotent async `close` so that closing also deregisters: `close` stays the one way to
 * stop the resource, for the test and for the guard.
 */
export function closeTracked<A extends unknown[]>(
  what: string,
  close: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  let untrack: () => void = () => undefined;
  const wrapped = (...args: A) => close(...args).finally(() => untrack());
  untrack = track(what, () => wrapped(...([] as unknown as A)));
  return wrapped;
}
