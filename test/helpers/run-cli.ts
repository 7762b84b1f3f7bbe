import { main, type CliDeps } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with its own env and captured streams. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  opts: { tty?: boolean; deps?: CliDeps } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), env, stderrIsTTY: opts.tty ?? false },
    opts.deps ?? {},
  );
  return { code, stdout, stderr };
}

/** Parses `--output json` (one Result per line). */
export function jsonLines(stdout: string): Record<string, any>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
}
