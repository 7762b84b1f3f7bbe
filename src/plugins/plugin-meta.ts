/** A plugin as RUNE knows it after reading its metadata block. */
export interface PluginMeta {
  name: string;
  version: string;
  description: string;
  mutating: boolean;
  /** Milliseconds; undefined when the plugin declares none (defaults.timeout applies). */
  timeoutMs: number | undefined;
  become: boolean;
  /** JSON Schema of params (always an object schema). */
  params: Record<string, unknown>;
  /** Absolute path of the file. */
  path: string;
  /** The interpreter named by the shebang, for display. */
  interpreter: string;
}
