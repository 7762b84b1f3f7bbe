'use strict';
/**
 * The alert storm of issue #5, as data: a seeded, pure generator of Alertmanager v4 webhook bodies
 * with repeats and flapping, plus the ground truth (which firing and resolved episodes they hold)
 * and the exactly-once check. Shared by bench/storm/run.js and test/scenarios/exactly-once.test.ts, so
 * the benchmark and `npm test` send the same kind of storm and judge it the same way. No I/O.
 *
 * The model (docs/protocols.md §1.4, Alertmanager's behaviour):
 *   - a pool of `alertnames × instances` alerts (default 20 × 10 = 200), one notification group
 *     per alertname; every alert has Alertmanager's fingerprint (FNV-1a 64 over its labels);
 *   - a *new* notification advances a virtual clock by `stepMs`, picks a group and 1–`maxAlerts`
 *     distinct alerts of it, moves each picked alert on (never fired → firing; otherwise, with
 *     probability `flap`, firing → resolved (endsAt = now) or resolved → firing with a NEW startsAt
 *     = now, i.e. a new episode), and carries the picked alerts in their current state;
 *   - a *re-send* (probability `duplicates`, never the first notification) is byte-for-byte an
 *     earlier new notification, one of the last `resendWindow` (Alertmanager's repeat_interval and
 *     retries re-send a group's last notification; an older one arriving late is a re-send too).
 * Ground truth: a firing episode is (fingerprint, startsAt) seen with status firing, a resolved
 * episode the same pair seen with status resolved. With the rules of `rulesYaml()` (one `on: firing`
 * rule and one `on: resolved` rule, one noop step each, matching every storm alert) RUNE must store
 * exactly one job per (rule, episode): one for each firing episode under FIRING_RULE, one for each
 * resolved episode under RESOLVED_RULE, and none twice (src/jobs/ingest-alerts.ts, episodeKey).
 */

const FIRING_RULE = 'storm-firing';
const RESOLVED_RULE = 'storm-resolved';
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** mulberry32: a small, fast, seedable PRNG; returns floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Alertmanager's fingerprint: FNV-1a 64 over the label names sorted bytewise, name and value each followed by 0xff. */
function fingerprint(labels) {
  const MASK = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  const add = (bytes) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK;
  };
  const names = Object.keys(labels).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  for (const n of names) {
    add(Buffer.from(n, 'utf8'));
    add([0xff]);
    add(Buffer.from(labels[n], 'utf8'));
    add([0xff]);
  }
  return h.toString(16).padStart(16, '0');
}

/** The key of one episode of one alert: fingerprint and startsAt. */
const episodeId = (fp, startsAt) => `${fp} ${startsAt}`;

/**
 * Generates `notifications` webhook bodies. Returns
 *   notifications: [{ body: Buffer, resendOf: index | null, alerts: [{ fingerprint, startsAt, status }] }]
 *   truth: { firing: Set<episodeId>, resolved: Set<episodeId> }  (every episode some body holds)
 *   stats: { notifications, resends, fresh, alerts, firingEpisodes, resolvedEpisodes, bodyBytes }
 */
function generateStorm(opts = {}) {
  const o = {
    seed: 1,
    notifications: 3000,
    duplicates: 0.8,
    alertnames: 20,
    instances: 10,
    maxAlerts: 10,
    flap: 0.3,
    resendWindow: 100,
    stepMs: 1000,
    start: Date.UTC(2026, 10, 24, 10, 0, 0),
    ...opts,
  };
  if (!(o.duplicates >= 0 && o.duplicates < 1)) throw new Error('duplicates must be in [0, 1)');
  if (o.maxAlerts < 1 || o.maxAlerts > o.instances) throw new Error('maxAlerts must be from 1 to instances');
  const rand = prng(o.seed);
  const int = (n) => Math.floor(rand() * n); // 0 … n-1

  const groups = [];
  for (let g = 0; g < o.alertnames; g++) {
    const alertname = `StormAlert${String(g).padStart(2, '0')}`;
    const members = [];
    for (let i = 0; i < o.instances; i++) {
      const n = g * o.instances + i;
      const nodename = `storm-${String(n).padStart(4, '0')}`;
      const labels = {
        alertname,
        instance: `10.${1 + (n >> 8)}.${n & 255}.7:9100`,
        job: 'node',
        nodename,
        severity: g % 3 === 0 ? 'critical' : 'warning',
      };
      members.push({
        labels,
        annotations: {
          summary: `${alertname} on ${nodename}`,
          description: `storm alert ${g}/${i}\n  VALUE = ${(n * 7) % 100}`,
        },
        generatorURL: `http://prometheus.example.internal:9090/graph?g0.expr=storm_${g}%3E0&g0.tab=1`,
        fingerprint: fingerprint(labels),
        state: 'inactive', // inactive | firing | resolved
        startsAt: null,
        endsAt: null,
      });
    }
    groups.push({ alertname, members });
  }

  const notifications = [];
  const fresh = []; // indexes of new notifications, for re-sends
  const truth = { firing: new Set(), resolved: new Set() };
  let now = o.start;
  let alertCount = 0;
  let bodyBytes = 0;
  for (let k = 0; k < o.notifications; k++) {
    if (fresh.length > 0 && rand() < o.duplicates) {
      const from = fresh[fresh.length - 1 - int(Math.min(o.resendWindow, fresh.length))];
      const orig = notifications[from];
      notifications.push({ body: orig.body, resendOf: from, alerts: orig.alerts });
      alertCount += orig.alerts.length;
      bodyBytes += orig.body.length;
      continue;
    }
    now += o.stepMs;
    const iso = new Date(now).toISOString();
    const group = groups[int(groups.length)];
    // 1 … maxAlerts distinct members (a partial Fisher-Yates shuffle of the indexes).
    const count = 1 + int(o.maxAlerts);
    const idx = group.members.map((_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + int(idx.length - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const picked = idx
      .slice(0, count)
      .sort((x, y) => x - y)
      .map((i) => group.members[i]);
    for (const m of picked) {
      if (m.state === 'inactive') {
        m.state = 'firing';
        m.startsAt = iso;
        m.endsAt = null;
      } else if (rand() < o.flap) {
        if (m.state === 'firing') {
          m.state = 'resolved';
          m.endsAt = iso;
        } else {
          m.state = 'firing';
          m.startsAt = iso; // a new episode
          m.endsAt = null;
        }
      }
    }
    const alerts = picked.map((m) => ({ fingerprint: m.fingerprint, startsAt: m.startsAt, status: m.state }));
    for (const a of alerts) truth[a.status].add(episodeId(a.fingerprint, a.startsAt));
    const anyFiring = alerts.some((a) => a.status === 'firing');
    const common = {};
    for (const [name, value] of Object.entries(picked[0].labels))
      if (picked.every((m) => m.labels[name] === value)) common[name] = value;
    const payload = {
      receiver: 'rune',
      status: anyFiring ? 'firing' : 'resolved',
      alerts: picked.map((m) => ({
        status: m.state,
        labels: m.labels,
        annotations: m.annotations,
        startsAt: m.startsAt,
        endsAt: m.state === 'resolved' ? m.endsAt : ZERO_TIME,
        generatorURL: m.generatorURL,
        fingerprint: m.fingerprint,
      })),
      groupLabels: { alertname: group.alertname },
      commonLabels: common,
      commonAnnotations: picked.length === 1 ? picked[0].annotations : {},
      externalURL: 'http://alertmanager.example.internal:9093',
      version: '4',
      groupKey: `{}:{alertname="${group.alertname}"}`,
      truncatedAlerts: 0,
    };
    // Go's json.Encoder ends the body with a newline (docs/protocols.md §1.1).
    const body = Buffer.from(`${JSON.stringify(payload)}\n`, 'utf8');
    fresh.push(notifications.length);
    notifications.push({ body, resendOf: null, alerts });
    alertCount += alerts.length;
    bodyBytes += body.length;
  }
  return {
    notifications,
    truth,
    stats: {
      notifications: notifications.length,
      resends: notifications.length - fresh.length,
      fresh: fresh.length,
      alerts: alertCount,
      firingEpisodes: truth.firing.size,
      resolvedEpisodes: truth.resolved.size,
      bodyBytes,
    },
  };
}

/** rules.yaml for a storm run: one firing and one resolved rule, each one noop, on the storm-* nodes. */
function rulesYaml() {
  return [
    '# written for an alert storm (bench/storm/storm-workload.js)',
    'defaults:',
    '  transport: local   # never used: rune serve --dry-run contacts no node',
    'nodes:',
    '  - name: "storm-*"',
    'rules:',
    `  - name: ${FIRING_RULE}`,
    '    matchers:',
    '      - alertname=~"StormAlert.*"',
    '    node: "{{ labels.nodename }}"',
    '    on: firing',
    '    steps:',
    '      - action: noop',
    `  - name: ${RESOLVED_RULE}`,
    '    matchers:',
    '      - alertname=~"StormAlert.*"',
    '    node: "{{ labels.nodename }}"',
    '    on: resolved',
    '    steps:',
    '      - action: noop',
    '',
  ].join('\n');
}

/** The SQL that reads what checkExactlyOnce needs from RUNE's database (jobs table). */
const JOBS_SQL =
  "SELECT id, rule, json_extract(alert, '$.fingerprint') AS fingerprint, " +
  "json_extract(alert, '$.startsAt') AS startsAt, json_extract(alert, '$.status') AS status, " +
  'status AS jobStatus, reason FROM jobs';

/**
 * The verdict. `answers[i]` is what notification i got: null (never answered: abandoned, or not
 * sent) or { status, jobs?, duplicates?, unmatched?, problems? } (the parsed 202 body). `jobs` are
 * the stored jobs (JOBS_SQL rows). Checks:
 *   - exactly once: every (rule, episode) has at most one job; every episode of a notification
 *     answered 202 has exactly one; no job belongs to an episode no notification held, or to the
 *     wrong rule for its status;
 *   - every 202 answer names, as new jobs or duplicates, exactly one stored job per alert it carried,
 *     each of that alert's episode under the right rule; a job id is reported new at most once;
 *   - with every notification answered 202: the stored jobs are exactly the truth.
 * Also reported, not part of `ok` (creation is exactly once either way): the jobs' end states, and
 * firing jobs cancelled by the resolve of an EARLIER episode of the same alert (a late re-send of an
 * old resolved notification), read from the `resolved: … at <endsAt> …` reason; such a run of a
 * still-firing episode never happens.
 */
function checkExactlyOnce({ notifications, truth, answers, jobs }) {
  const ruleFor = (status) => (status === 'firing' ? FIRING_RULE : RESOLVED_RULE);
  const key = (rule, fp, startsAt) => `${rule} ${fp} ${startsAt}`;
  const byKey = new Map();
  const byId = new Map();
  const wrongRule = [];
  for (const j of jobs) {
    const k = key(j.rule, j.fingerprint, j.startsAt);
    byKey.set(k, (byKey.get(k) || 0) + 1);
    byId.set(j.id, k);
    if (ruleFor(j.status) !== j.rule) wrongRule.push(j.id);
  }
  const allowed = new Set();
  for (const s of ['firing', 'resolved']) for (const e of truth[s]) allowed.add(`${ruleFor(s)} ${e}`);

  let ok202 = 0;
  let errors = 0;
  let unanswered = 0;
  let alertsAnswered = 0;
  let newReported = 0;
  let duplicatesReported = 0;
  let answerMismatches = 0;
  let mismatchSample = null;
  const statuses = {};
  const expected = new Set(); // (rule, episode) held by a notification answered 202
  const reportedNew = new Set();
  let reportedNewTwice = 0;
  answers.forEach((a, i) => {
    if (a === null || a === undefined) {
      unanswered++;
      return;
    }
    if (a.status !== 202) {
      errors++;
      statuses[a.status] = (statuses[a.status] || 0) + 1;
      return;
    }
    ok202++;
    const n = notifications[i];
    alertsAnswered += n.alerts.length;
    const want = n.alerts.map((x) => key(ruleFor(x.status), x.fingerprint, x.startsAt));
    for (const w of want) expected.add(w);
    const newIds = a.jobs || [];
    const dupIds = a.duplicates || [];
    newReported += newIds.length;
    duplicatesReported += dupIds.length;
    for (const id of newIds) {
      if (reportedNew.has(id)) reportedNewTwice++;
      reportedNew.add(id);
    }
    const got = [...newIds, ...dupIds].map((id) => byId.get(id) || `(no stored job ${id})`);
    const same =
      got.length === want.length &&
      (a.unmatched || 0) === 0 &&
      (a.problems || []).length === 0 &&
      [...got].sort().join('\n') === [...want].sort().join('\n');
    if (!same) {
      answerMismatches++;
      if (!mismatchSample)
        mismatchSample = { notification: i, want, got, unmatched: a.unmatched, problems: a.problems };
    }
  });

  const byJobStatus = {};
  const staleCancels = [];
  for (const j of jobs) {
    if (j.jobStatus === undefined) continue;
    byJobStatus[j.jobStatus] = (byJobStatus[j.jobStatus] || 0) + 1;
    if (j.jobStatus !== 'cancelled' || j.status !== 'firing') continue;
    const m = /\bat (\S+) before\b/.exec(j.reason || '');
    const resolvedAt = m ? Date.parse(m[1]) : NaN;
    const stale = Number.isFinite(resolvedAt)
      ? resolvedAt < Date.parse(j.startsAt)
      : !truth.resolved.has(`${j.fingerprint} ${j.startsAt}`);
    if (stale) staleCancels.push(`${j.id} ${j.fingerprint} ${j.startsAt}: ${j.reason}`);
  }

  const missing = [...expected].filter((k) => !byKey.has(k));
  const doubled = [...byKey].filter(([, c]) => c > 1).map(([k, c]) => `${k} ×${c}`);
  const unexpected = [...byKey.keys()].filter((k) => !allowed.has(k));
  const complete = errors === 0 && unanswered === 0;
  // With every notification answered, the jobs must be the whole truth, no more.
  const truthJobs = truth.firing.size + truth.resolved.size;
  const countMismatch = complete && jobs.length !== truthJobs;
  const ok =
    missing.length === 0 &&
    doubled.length === 0 &&
    unexpected.length === 0 &&
    wrongRule.length === 0 &&
    answerMismatches === 0 &&
    reportedNewTwice === 0 &&
    !countMismatch;
  return {
    ok,
    notifications: notifications.length,
    answered202: ok202,
    errors,
    statuses,
    unanswered,
    alertsAnswered,
    expectedEpisodes: {
      firing: [...expected].filter((k) => k.startsWith(`${FIRING_RULE} `)).length,
      resolved: [...expected].filter((k) => k.startsWith(`${RESOLVED_RULE} `)).length,
    },
    truthEpisodes: { firing: truth.firing.size, resolved: truth.resolved.size },
    jobs: jobs.length,
    jobsByRule: {
      [FIRING_RULE]: jobs.filter((j) => j.rule === FIRING_RULE).length,
      [RESOLVED_RULE]: jobs.filter((j) => j.rule === RESOLVED_RULE).length,
    },
    newReported,
    duplicatesReported,
    missing: missing.length,
    doubled: doubled.length,
    unexpected: unexpected.length,
    wrongRule: wrongRule.length,
    answerMismatches,
    reportedNewTwice,
    countMismatch,
    byJobStatus,
    staleCancels: staleCancels.length,
    samples: {
      missing: missing.slice(0, 3),
      doubled: doubled.slice(0, 3),
      unexpected: unexpected.slice(0, 3),
      answer: mismatchSample,
      staleCancels: staleCancels.slice(0, 3),
    },
  };
}

module.exports = {
  FIRING_RULE,
  RESOLVED_RULE,
  generateStorm,
  rulesYaml,
  checkExactlyOnce,
  episodeId,
  fingerprint,
  prng,
  JOBS_SQL,
};
