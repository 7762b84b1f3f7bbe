import type { Alert, AlertRef } from './types';

/** The payload's view of an alert (contract rune.plugin/v1). */
export function alertRef(a: Alert): AlertRef {
  return {
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    fingerprint: a.fingerprint,
  };
}
