import { escapeHtml, html, safeHref } from '../../../src/dashboard/html';

describe('dashboard html', () => {
  test('every interpolated value is escaped, nested html is not escaped twice', () => {
    const label = `<script>alert('x')</script> & "q"`;
    const inner = html`<b>${label}</b>`;
    const escaped = '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;';
    expect(html`<p title="${label}">${inner}${[label, null, undefined, false, 0]}</p>`.value).toBe(
      `<p title="${escaped}"><b>${escaped}</b>${escaped}0</p>`,
    );
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  test('only http(s) URLs become links', () => {
    expect(safeHref('https://example.pagerduty.com/incidents/P1')).toBe('https://example.pagerduty.com/incidents/P1');
    for (const bad of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,x',
      '//evil.example',
      'https://a b',
      undefined,
      null,
    ])
      expect(safeHref(bad)).toBeNull();
  });
});
