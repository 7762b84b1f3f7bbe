import { findJob } from '../../../src/app/find-job';
import { runManually } from '../../../src/app/run-manually';
import { isRuneError } from '../../../src/core/errors';
import { ADMIN, startTestService, type TestService } from '../../helpers/test-service';

let svc: TestService;
afterEach(() => svc.stop());

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return isRuneError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'no error';
};

test('a job is found by its id or by a unique prefix of it; a short, unknown or shared prefix says why', () => {
  svc = startTestService();
  const ids: string[] = [];
  let n = 0;
  // Ids under the test's control: two share the prefix 'aaaaaa-1', one starts 'bbbbbbbb'.
  svc.ctx.newId = () => ['aaaaaa-1-x', 'aaaaaa-1-y', 'bbbbbbbb-z'][n++] as string;
  for (let i = 0; i < 3; i++) ids.push(runManually(svc.ctx, ADMIN, 'test', { action: 'echo', node: 'web-1' }).id);
  expect(findJob(svc.ctx, 'aaaaaa-1-y').id).toBe('aaaaaa-1-y');
  expect(findJob(svc.ctx, 'bbbbbb').id).toBe('bbbbbbbb-z');
  expect(codeOf(() => findJob(svc.ctx, 'aaaaaa-1'))).toMatch(
    /^BAD_REQUEST: job id prefix aaaaaa-1 is ambiguous: it matches aaaaaa-1-x, aaaaaa-1-y/,
  );
  expect(codeOf(() => findJob(svc.ctx, 'bbb'))).toBe('NOT_FOUND: no job "bbb" (a prefix needs at least 6 characters)');
  expect(codeOf(() => findJob(svc.ctx, 'cccccccc'))).toBe('NOT_FOUND: no job "cccccccc"');
  expect(codeOf(() => findJob(svc.ctx, "aaaaaa' OR 1=1"))).toMatch(/^NOT_FOUND/);
});
