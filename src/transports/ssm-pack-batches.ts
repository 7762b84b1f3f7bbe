/** Something that goes into one SendCommand: its instance and the bytes it adds to the command. */
export interface Packable {
  instanceId: string;
  bytes: number;
}

export interface PackLimits {
  /** Bytes of the command with no instance in it (plugin, wrapper, fixed lines). */
  fixedBytes: number;
  /** The most a command may weigh. */
  maxBytes: number;
  /** InstanceIds holds at most 50 (docs/protocols.md §4.1). */
  maxInstances: number;
}

/**
 * Packs runs into as few SendCommands as fit (first fit, in arrival order): at most
 * `maxInstances` ids, at most `maxBytes`, and never one id twice in a command (SSM refuses that
 * with DuplicateInstanceId). Runs that cannot fit even alone come back in `tooLarge`. Pure.
 */
export function packBatches<T extends Packable>(
  items: readonly T[],
  limits: PackLimits,
): { batches: T[][]; tooLarge: T[] } {
  const batches: { items: T[]; bytes: number; ids: Set<string> }[] = [];
  const tooLarge: T[] = [];
  for (const item of items) {
    if (limits.fixedBytes + item.bytes > limits.maxBytes) {
      tooLarge.push(item);
      continue;
    }
    let home = batches.find(
      (b) =>
        b.items.length < limits.maxInstances && b.bytes + item.bytes <= limits.maxBytes && !b.ids.has(item.instanceId),
    );
    if (!home) {
      home = { items: [], bytes: limits.fixedBytes, ids: new Set() };
      batches.push(home);
    }
    home.items.push(item);
    home.bytes += item.bytes;
    home.ids.add(item.instanceId);
  }
  return { batches: batches.map((b) => b.items), tooLarge };
}
