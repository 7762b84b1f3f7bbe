import { parseTemplate } from '../../../src/config/parse-template';
import { renderTemplate, type TemplateAlert } from '../../../src/config/render-template';

const alert: TemplateAlert = {
  status: 'firing',
  fingerprint: '8938c54a9647462a',
  startsAt: '2026-11-23T23:11:16.374427234Z',
  labels: {
    instance: '10.0.1.23:9100',
    job: 'Node',
    v6: '[::1]:9100',
    host: 'host.example.com:9100',
    padded: '  web-1 \n',
    empty: '',
  },
  annotations: { summary: 'Filesystem has less than 5% space left.' },
};

function render(src: string, a: TemplateAlert = alert): string {
  const parsed = parseTemplate(src);
  if (!parsed.ok) throw new Error(parsed.reason);
  return renderTemplate(parsed.template, a);
}

describe('renderTemplate', () => {
  test.each([
    ['{{ labels.instance | hostname }}', '10.0.1.23'],
    ['{{ labels.v6 | hostname }}', '::1'],
    ['{{ labels.host | hostname }}', 'host.example.com'],
    ['{{ labels.job | lower }}-{{ labels.job | upper }}', 'node-NODE'],
    ['[{{ labels.padded | trim }}]', '[web-1]'],
    ['{{ annotations.summary }}', 'Filesystem has less than 5% space left.'],
    [
      '{{ alert.status }} {{ alert.fingerprint }} {{ alert.startsAt }}',
      'firing 8938c54a9647462a 2026-11-23T23:11:16.374427234Z',
    ],
    ['[{{ labels.missing }}]', '[]'],
    ['{{ labels.missing | default "web-1" }}', 'web-1'],
    ['{{ labels.empty | default "x" }}', 'x'],
    ['{{ labels.job | default "x" }}', 'Node'],
    ['{{ labels.missing | default "  a  " | trim | upper }}', 'A'],
    ['{{ labels.toString }}{{ annotations.hasOwnProperty }}', ''],
  ])('%s → %j', (src, expected) => {
    expect(render(src)).toBe(expected);
  });

  test('hostile label values come out verbatim and are never rendered again', () => {
    const evil: TemplateAlert = {
      ...alert,
      labels: {
        cmd: '"; rm -rf / #',
        nl: 'a\nb\r\nc',
        tpl: '{{ labels.secret }}',
        secret: 'S3CRET',
        proto: '__proto__',
      },
    };
    expect(render('{{ labels.cmd }}', evil)).toBe('"; rm -rf / #');
    expect(render('{{ labels.nl }}', evil)).toBe('a\nb\r\nc');
    expect(render('x{{ labels.tpl }}y', evil)).toBe('x{{ labels.secret }}y');
    expect(render('{{ labels.proto | upper }}', evil)).toBe('__PROTO__');
  });

  test('a label map with a null prototype works the same', () => {
    const labels = Object.assign(Object.create(null) as Record<string, string>, { instance: 'db-1:9100' });
    expect(render('{{ labels.instance | hostname }}', { ...alert, labels })).toBe('db-1');
  });
});
