import {
  NOTE_MAX,
  SUMMARY_MAX,
  escapeSlack,
  renderNote,
  renderPressNote,
  renderSlackMessage,
} from '../../../src/reporters/render-note';
import { failedResult, sampleResult } from '../../helpers/sample-result';

const opts = { publicUrl: 'https://rune.example.com/' };

test('a succeeded run: one headline, the job link, the trace', () => {
  expect(renderNote(sampleResult(), opts)).toBe(
    [
      'RUNE restart-docker on web-1: succeeded in 12.3s — docker restarted; 14 containers running',
      'Job: https://rune.example.com/jobs/job-0001',
      'Trace: trace-abc',
    ].join('\n'),
  );
});

test('a failed run adds the error code and message; a dry run says so', () => {
  const note = renderNote(failedResult({ dry_run: true, status: 'timed_out', duration_ms: 125_000 }), opts);
  expect(note.split('\n')).toEqual([
    'RUNE restart-docker on web-1 (dry run): timed out in 2m5s — docker did not come back',
    'Job: https://rune.example.com/jobs/job-0001',
    'Trace: trace-abc',
    'Error: PLUGIN_FAILED docker info failed after 60s',
  ]);
});

test('a skipped run shows the reason and no duration', () => {
  const note = renderNote(
    sampleResult({ status: 'skipped', duration_ms: 0, summary: 'cooldown: last run 4m ago' }),
    opts,
  );
  expect(note.split('\n')[0]).toBe('RUNE restart-docker on web-1: skipped — cooldown: last run 4m ago');
});

describe('hostile plugin text stays on its own line, short', () => {
  const hostile = {
    newlines: 'line one\nline two\n\nline four',
    'header injection': 'ok\r\nX-Injected: 1\r\n\r\n{"note":{"content":"forged"}}',
    'forged job link': 'done\nJob: https://evil.example/phish\nTrace: fake',
    '10 KB': 'A'.repeat(10 * 1024),
    'unicode separators and bidi': 'safe\u2028Job: evil\u2029\u202etxt.exe\u0085\u0007bell',
  };

  test.each(Object.entries(hostile))('%s in summary', (_name, summary) => {
    const note = renderNote(sampleResult({ summary }), opts);
    const lines = note.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('Job: https://rune.example.com/jobs/job-0001');
    expect(lines[2]).toBe('Trace: trace-abc');
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    expect(note).not.toMatch(/[\r\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
    const shown = lines[0]!.split(' — ')[1] ?? '';
    expect(Array.from(shown).length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(note.length).toBeLessThan(NOTE_MAX);
  });

  test('the 10 KB summary is cut with an ellipsis', () => {
    const note = renderNote(sampleResult({ summary: 'A'.repeat(10 * 1024) }), opts);
    expect(note.split('\n')[0]).toMatch(/A…$/);
    expect(note.length).toBeLessThan(1000);
  });

  test('hostile error message, node name and job id too', () => {
    const r = failedResult({
      node: 'web-1\nX-Injected: 1',
      job_id: '../../admin?x=1',
      error: {
        code: 'PLUGIN_FAILED',
        message: `boom\r\n${'B'.repeat(20_000)}`,
        stage: 'plugin',
        retryable: false,
        trace_id: 't',
        details: {},
      },
    });
    const note = renderNote(r, opts);
    const lines = note.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('on web-1 X-Injected: 1:');
    expect(lines[1]).toBe('Job: https://rune.example.com/jobs/..%2F..%2Fadmin%3Fx%3D1');
    expect(lines[3]).toMatch(/^Error: PLUGIN_FAILED boom B+…$/);
    expect(note.length).toBeLessThan(NOTE_MAX);
  });
});

test('Slack text escapes &, < and > so a summary cannot ping @channel or forge a link', () => {
  const msg = renderSlackMessage(
    sampleResult({ summary: '<!channel> see <https://evil.example|the fix> & more' }),
    opts,
  );
  expect(msg.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; more');
  expect(msg.text).not.toMatch(/[<>]/);
  expect(msg.text.split('\n')[1]).toBe('Job: https://rune.example.com/jobs/job-0001');
  expect(escapeSlack('a&b<c>d')).toBe('a&amp;b&lt;c&gt;d');
});

describe('the note answering an incident-action press: one line whatever PagerDuty or a label says', () => {
  test('who pressed, and why nothing (or not everything) ran', () => {
    expect(renderPressNote('Laura Haley', 'RUNE is paused since 10:00 by ada (db migration).')).toBe(
      'RUNE did not run anything for the incident action pressed by Laura Haley: ' +
        'RUNE is paused since 10:00 by ada (db migration).',
    );
    expect(renderPressNote('Laura Haley', "the extension's token may not run disk-full.", { ranSome: true })).toBe(
      "RUNE did not run every matching rule for the incident action pressed by Laura Haley: the extension's " +
        'token may not run disk-full.',
    );
  });

  test.each([
    ['a user name', 'Ann\nJob: https://evil.example/jobs/1\r\nTrace: x\u2028\u202eError: y', 'why'],
    ['the reason', 'Ann', 'no rule matches {"a":"b\nJob: https://evil.example/jobs/1"}\u2029Trace: x'],
    ['a 10 KB name', 'A'.repeat(10 * 1024), 'why'],
  ])('%s with line breaks, separators, bidi controls or length cannot forge a line', (_what, who, why) => {
    const note = renderPressNote(who, why);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    expect(note).not.toMatch(/[\r\n\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(note.length).toBeLessThan(NOTE_MAX);
  });
});
