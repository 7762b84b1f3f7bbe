/**
 * The one wait of the tests: polls `fn` until it returns something truthy and returns that; after
 * `ms` it fails naming `what` (a function is asked at that moment, e.g. for a process's output so
 * far). An exception from `fn` ends the wait at once: the condition can no longer come true.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string | (() => string),
  ms = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
