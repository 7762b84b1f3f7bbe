/** One alert of a hand-built Alertmanager v4 webhook body (docs/protocols.md §1.3). */
export interface AlertSpec {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  /** Unique per alert unless the test wants a repeat of the same episode. */
  fingerprint: string;
  startsAt?: string;
}

/**
 * The bytes Alertmanager would POST for `alerts` (compact JSON plus the trailing newline of Go's
 * json.Encoder, §1.1). For hostile label values that no captured fixture holds.
 */
export function alertmanagerPayload(groupKey: string, alerts: AlertSpec[]): Buffer {
  const body = {
    receiver: 'rune',
    status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? '2024-05-01T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint: a.fingerprint,
    })),
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey,
    truncatedAlerts: 0,
  };
  return Buffer.from(`${JSON.stringify(body)}\n`);
}
