import type { Alert, IncidentRef, Result, Delivery } from '../core/types';
import { plainLine } from './plain-line';

/** What a reporter knows about where a job came from. */
export interface ReportContext {
  alert: Alert | null;
  incident: IncidentRef | null;
}

/**
 * Posts a job's Result where the responder looks (docs/architecture.md, Data flow: reporters).
 *
 * report() never throws: a failed delivery is a Delivery with ok:false (docs/architecture.md 7).
 *
 * Calls are independent: there is no queue or lock shared between jobs. docs/protocols.md §3.3 advises
 * serial requests per PagerDuty token, but one stuck incident (timeout × attempts, minutes) would
 * then hold back every other job's note, and RUNE's note volume is far below the 960 requests/min
 * limit. Instead each request has its own timeout, and a 429 is honoured by the call that got it.
 */
export interface Reporter {
  name: string;
  report(result: Result, ctx: ReportContext): Promise<Delivery>;
}

/** The Delivery for a fault inside RUNE (a bug, not a remote failure). */
export function internalFailure(reporter: string, err: unknown, at: Date): Delivery {
  const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
  return {
    reporter,
    ok: false,
    status: null,
    attempts: 0,
    target: null,
    error: `internal error: ${plainLine(message, 300)}`,
    at: at.toISOString(),
  };
}
