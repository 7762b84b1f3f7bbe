import { RuneError } from '../core/errors';
import { isTransientSdkError, runeErrorFromSdk, sdkErrorName } from './ssm-api-error';
import type { InvocationState, InvocationView } from './ssm-read-invocation';

export interface PollSchedule {
  /** First wait after SendCommand, then ×1.5 per poll up to maxPollMs. */
  pollMs: number;
  maxPollMs: number;
  /** InvocationDoesNotExist counts as "not yet" for this long after SendCommand (§4.3). */
  notFoundGraceMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export type PollEnd = { kind: 'finished'; state: Exclude<InvocationState, { kind: 'waiting' }> } | { kind: 'deadline' };

/**
 * Polls GetCommandInvocation until the invocation is final or `deadline` passes. A loop of its own
 * rather than `waitUntilCommandExecuted`, whose acceptors retry on any error (docs/protocols.md §4.4):
 * here only InvocationDoesNotExist (within the grace period) and transient faults are waited out.
 * Throttling is retried inside the SDK first (§4.5).
 */
export async function pollInvocation(
  get: () => Promise<InvocationView>,
  read: (inv: InvocationView, elapsedMs: number) => InvocationState,
  o: PollSchedule & { sentAt: number; deadline: number; isClosed: () => boolean; context: Record<string, unknown> },
): Promise<PollEnd> {
  let delay = o.pollMs;
  for (;;) {
    await o.sleep(Math.max(0, Math.min(delay, o.deadline - o.now())));
    delay = Math.min(o.maxPollMs, Math.ceil(delay * 1.5));
    if (o.isClosed())
      throw new RuneError(
        'SSM_API_ERROR',
        'RUNE stopped while waiting for the SSM command; its outcome is unknown',
        o.context,
      );
    let inv: InvocationView | null = null;
    try {
      inv = await get();
    } catch (err) {
      const notYet = sdkErrorName(err) === 'InvocationDoesNotExist';
      if (notYet && o.now() - o.sentAt >= o.notFoundGraceMs) {
        throw new RuneError(
          'SSM_API_ERROR',
          `SSM still has no invocation ${Math.round(o.notFoundGraceMs / 1000)}s after SendCommand ` +
            '(InvocationDoesNotExist); its outcome is unknown',
          { ...o.context, aws_error: 'InvocationDoesNotExist' },
        );
      }
      if (!notYet && !isTransientSdkError(err)) throw runeErrorFromSdk(err, 'GetCommandInvocation', o.context);
    }
    if (inv) {
      const state = read(inv, o.now() - o.sentAt);
      if (state.kind !== 'waiting') return { kind: 'finished', state };
    }
    if (o.now() >= o.deadline) return { kind: 'deadline' };
  }
}
