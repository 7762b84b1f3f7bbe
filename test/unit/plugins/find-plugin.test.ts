import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runCli } from '../../helpers/run-cli';
import { isRuneError } from '../../../src/core/errors';
import { findPlugin, formatPluginProblem } from '../../../src/plugins/find-plugin';
import { loadRegistry } from '../../../src/plugins/load-registry';

// echo.sh loads; the others exist but do not (test/fixtures/broken-plugins).
const BROKEN = join(__dirname, '..', '..', 'fixtures', 'broken-plugins');
const registry = loadRegistry(BROKEN);

/** The RuneError findPlugin throws for `name`, as code and message. */
function refusal(name: string): { code: string; message: string } {
  try {
    findPlugin(registry, name);
  } catch (err) {
    if (isRuneError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`${name} was found`);
}

test('every problem of a broken file names the file, its line and the plugin it was meant to be', () => {
  expect(registry.problems.map((p) => [p.name, formatPluginProblem(p).slice(BROKEN.length + 1)])).toEqual([
    ['bad-schema', expect.stringMatching(/^bad-schema\.sh:6: params schema does not compile: /)],
    ['bad-version', 'bad-version.sh:4: version "one" is not semver (e.g. 1.0.0)'],
    ['no-meta', 'no-meta.sh:2: line 2 must open the metadata block with "# ---"'],
    ['wrong-name', 'wrong-name.sh:3: name "other" must equal the file stem "wrong-name"'],
  ]);
});

test('a plugin whose file exists but does not load is PLUGIN_BROKEN, with file:line and the reason', () => {
  expect(findPlugin(registry, 'echo').name).toBe('echo');
  expect(refusal('bad-version')).toEqual({
    code: 'PLUGIN_BROKEN',
    message:
      `action "bad-version" cannot be loaded: ${BROKEN}/bad-version.sh:4: ` +
      'version "one" is not semver (e.g. 1.0.0)',
  });
  expect(refusal('no-meta')).toMatchObject({
    code: 'PLUGIN_BROKEN',
    message: expect.stringContaining('no-meta.sh:2: '),
  });
});

test('a name no file has is UNKNOWN_ACTION, also the name written inside a misnamed file', () => {
  expect(refusal('restart-everything')).toEqual({
    code: 'UNKNOWN_ACTION',
    message: `unknown action "restart-everything" (available: echo; plugins folder ${BROKEN})`,
  });
  expect(refusal('other').code).toBe('UNKNOWN_ACTION');
});

describe('rune run of a broken plugin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rune-broken-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is exit 2 with PLUGIN_BROKEN in the Result, and the file:line problem', async () => {
    const config = join(dir, 'rules.yaml');
    writeFileSync(config, 'nodes:\n  - {name: localhost, transport: local}\n');
    const env = { PATH: process.env.PATH, HOME: dir, RUNE_CONFIG: config, RUNE_PLUGINS_DIR: BROKEN };
    const r = await runCli(['run', 'bad-version', '--node', 'localhost', '--output', 'json'], env);
    expect(r.code).toBe(2);
    expect(jsonLines(r.stdout)[0]!.error).toMatchObject({
      code: 'PLUGIN_BROKEN',
      stage: 'validate',
      message: expect.stringContaining('bad-version.sh:4: version "one" is not semver'),
    });
  });
});
