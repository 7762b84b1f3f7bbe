/** What a CLI command may touch: its output streams and environment (tests pass their own). */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Progress lines are drawn only on a terminal. */
  stderrIsTTY: boolean;
}
