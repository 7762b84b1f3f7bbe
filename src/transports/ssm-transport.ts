import { createHash } from 'node:crypto';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { RuneError } from '../core/errors';
import { checkSsmConfig } from './ssm-check-config';
import { runeErrorFromSdk, sdkErrorName } from './ssm-api-error';
import {
  buildSsmCommands,
  deliveryTimeoutSeconds,
  inputLine,
  parametersBytes,
  SSM_DOCUMENT,
  SSM_DOCUMENT_HEADROOM_BYTES,
  SSM_MAX_DOCUMENT_BYTES,
  ssmParameters,
} from './ssm-command';
import { isSsmInstanceId } from './ssm-instance-id';
import { packBatches } from './ssm-pack-batches';
import { pollInvocation } from './ssm-poll-invocation';
import { readInvocation } from './ssm-read-invocation';
import {
  BACKSTOP_MARGIN_MS,
  DEFAULT_CAPTURE_LIMITS,
  KILL_GRACE_MS,
  type CaptureLimits,
  type ExecOutcome,
  type ExecRequest,
  type Transport,
} from './transport';

/** SendCommand's InstanceIds holds at most 50 (docs/protocols.md §4.1). */
export const SSM_MAX_INSTANCES_PER_COMMAND = 50;

export interface SsmOptions {
  /** Builds the SSM client, once, on first use. Default: `new SSMClient({})`, the SDK's default chain. */
  createClient?: () => SSMClient;
  /** OutputS3BucketName (RUNE_SSM_OUTPUT_S3_BUCKET): SSM keeps the full output there; RUNE does not read it. */
  outputS3Bucket?: string;
  /** Runs with the same plugin and settings arriving within this window share SendCommands. */
  coalesceMs?: number;
  /** First poll of GetCommandInvocation after SendCommand; then ×1.5 per poll up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** How long InvocationDoesNotExist means "not yet" (eventual consistency, §4.3). */
  notFoundGraceMs?: number;
  /**
   * RUNE's own deadline is SendCommand + the plugin's timeout + this allowance; past it RUNE sends
   * CancelCommand. Default: the delivery window (TimeoutSeconds) + the kill grace + a margin.
   */
  deliveryAllowanceMs?: number;
  limits?: CaptureLimits;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface PendingRun {
  req: ExecRequest;
  instanceId: string;
  /** Bytes its input adds to a command. */
  bytes: number;
  resolve: (o: ExecOutcome) => void;
  reject: (e: unknown) => void;
}

interface Group {
  runs: PendingRun[];
  timer: NodeJS.Timeout;
}

/**
 * AWS SSM Run Command transport (docs/architecture.md, Remote execution; docs/protocols.md §4). exec() calls that
 * arrive together for the same plugin, timeout, become and rate controls are coalesced: one
 * SendCommand carries the plugin once and every node's input, for up to 50 instances and 64 KB.
 * Each node's invocation is then polled on its own and becomes its own ExecOutcome.
 */
export function createSsmTransport(opts: SsmOptions = {}): Transport {
  const limits = opts.limits ?? DEFAULT_CAPTURE_LIMITS;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const coalesceMs = opts.coalesceMs ?? 50;
  const schedule = {
    pollMs: opts.pollMs ?? 1000,
    maxPollMs: opts.maxPollMs ?? 10_000,
    notFoundGraceMs: opts.notFoundGraceMs ?? 30_000,
    now,
    sleep,
  };
  const groups = new Map<string, Group>();
  const cancels = new Map<string, { ids: Set<string>; waiters: ((problem: string | null) => void)[] }>();
  let client: SSMClient | undefined;
  let closed = false;

  // Made on first use: a run with no SSM node never loads the SDK's config chain.
  const ssm = (): SSMClient => (client ??= (opts.createClient ?? (() => new SSMClient({})))());

  function groupKey(req: ExecRequest): string {
    const hash = createHash('sha256').update(req.script).digest('hex');
    return JSON.stringify([
      req.plugin.name,
      hash,
      req.timeoutMs,
      req.plugin.become,
      req.target.ssm?.maxConcurrency ?? null,
      req.target.ssm?.maxErrors ?? null,
    ]);
  }

  function flush(key: string): void {
    const group = groups.get(key);
    if (!group) return;
    groups.delete(key);
    clearTimeout(group.timer);
    void dispatch(group.runs);
  }

  async function dispatch(runs: PendingRun[]): Promise<void> {
    try {
      await checkSsmConfig(ssm());
    } catch (err) {
      for (const r of runs) r.reject(err);
      return;
    }
    const first = runs[0] as PendingRun;
    const fixedBytes = parametersBytes(ssmParameters(commandsFor(first, []), first.req.timeoutMs));
    const maxBytes = SSM_MAX_DOCUMENT_BYTES - SSM_DOCUMENT_HEADROOM_BYTES;
    const { batches, tooLarge } = packBatches(runs, {
      fixedBytes,
      maxBytes,
      maxInstances: SSM_MAX_INSTANCES_PER_COMMAND,
    });
    for (const r of tooLarge) {
      r.reject(
        new RuneError(
          'SSM_COMMAND_TOO_LARGE',
          `${r.req.target.node}: the ${r.req.plugin.name} plugin and its input ` +
            `come to ${fixedBytes + r.bytes} bytes, ` +
            `more than the ${maxBytes} RUNE allows in one SSM command (SendCommand refuses documents over 64 KB): ` +
            'shrink the plugin or its params, or use SSH',
          { node: r.req.target.node, instance_id: r.instanceId, bytes: fixedBytes + r.bytes, max_bytes: maxBytes },
        ),
      );
    }
    await Promise.all(batches.map((b) => send(b)));
  }

  function commandsFor(first: PendingRun, runs: PendingRun[]): string[] {
    return buildSsmCommands({
      pluginName: first.req.plugin.name,
      script: first.req.script,
      timeoutMs: first.req.timeoutMs,
      become: first.req.plugin.become,
      inputs: runs.map((r) => ({ instanceId: r.instanceId, payload: r.req.payload })),
    });
  }

  async function send(batch: PendingRun[]): Promise<void> {
    const first = batch[0] as PendingRun;
    const { req } = first;
    const ids = batch.map((r) => r.instanceId);
    const input: SendCommandCommandInput = {
      DocumentName: SSM_DOCUMENT,
      InstanceIds: ids,
      Parameters: ssmParameters(commandsFor(first, batch), req.timeoutMs),
      TimeoutSeconds: deliveryTimeoutSeconds(req.timeoutMs),
      Comment: `rune: ${req.plugin.name} on ${ids.length} node${ids.length === 1 ? '' : 's'}`,
      ...(req.target.ssm?.maxConcurrency !== undefined ? { MaxConcurrency: req.target.ssm.maxConcurrency } : {}),
      ...(req.target.ssm?.maxErrors !== undefined ? { MaxErrors: req.target.ssm.maxErrors } : {}),
      ...(opts.outputS3Bucket ? { OutputS3BucketName: opts.outputS3Bucket } : {}),
    };
    let commandId: string | undefined;
    try {
      commandId = (await ssm().send(new SendCommandCommand(input))).Command?.CommandId;
    } catch (err) {
      // One unmanaged instance fails the whole SendCommand: halve the batch until it is isolated,
      // so the other nodes still run (at most ~2·log2(50) extra calls per bad instance).
      if (sdkErrorName(err) === 'InvalidInstanceId' && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await Promise.all([send(batch.slice(0, half)), send(batch.slice(half))]);
        return;
      }
      const error = runeErrorFromSdk(err, 'SendCommand', { instance_ids: ids });
      for (const r of batch) r.reject(error);
      return;
    }
    if (!commandId) {
      const error = new RuneError('SSM_API_ERROR', 'SSM SendCommand answered without a CommandId', {
        instance_ids: ids,
      });
      for (const r of batch) r.reject(error);
      return;
    }
    const sentAt = now();
    for (const r of batch) void follow(r, commandId, sentAt);
  }

  async function follow(run: PendingRun, commandId: string, sentAt: number): Promise<void> {
    const { req, instanceId } = run;
    const allowance =
      opts.deliveryAllowanceMs ?? deliveryTimeoutSeconds(req.timeoutMs) * 1000 + KILL_GRACE_MS + BACKSTOP_MARGIN_MS;
    const deadline = sentAt + req.timeoutMs + allowance;
    const context = { node: req.target.node, instance_id: instanceId, command_id: commandId };
    // RUNE cancels the run: CancelCommand for this instance; polling then sees Cancelled.
    const onAbort = () => void cancel(commandId, instanceId);
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const end = await pollInvocation(
        () => ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
        (inv, elapsedMs) =>
          readInvocation(inv, {
            node: req.target.node,
            instanceId,
            commandId,
            timeoutMs: req.timeoutMs,
            elapsedMs,
            tailBytes: limits.tailBytes,
            outputBucket: opts.outputS3Bucket,
          }),
        { ...schedule, sentAt, deadline, isClosed: () => closed, context },
      );
      if (end.kind === 'deadline') {
        const problem = await cancel(commandId, instanceId);
        const cancelled =
          problem === null
            ? `CancelCommand sent for command ${commandId}`
            : `CancelCommand for command ${commandId} failed: ${problem}`;
        run.resolve({
          exitCode: null,
          signal: null,
          stdout: '',
          stdoutTail: '',
          stderrTail:
            `rune: no result from SSM within ${Math.round((req.timeoutMs + allowance) / 1000)}s ` +
            `(the plugin's timeout + the delivery allowance); ${cancelled}`,
          truncated: false,
          timedOut: true,
          durationMs: now() - sentAt,
        });
      } else if (end.state.kind === 'error') run.reject(end.state.error);
      else run.resolve(end.state.outcome);
    } catch (err) {
      run.reject(err);
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** CancelCommand for instances whose deadline passed together goes out as one call per command. */
  function cancel(commandId: string, instanceId: string): Promise<string | null> {
    return new Promise((resolve) => {
      let entry = cancels.get(commandId);
      if (!entry) {
        const created = { ids: new Set<string>(), waiters: [] as ((problem: string | null) => void)[] };
        cancels.set(commandId, created);
        entry = created;
        setImmediate(() => {
          cancels.delete(commandId);
          ssm()
            .send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [...created.ids] }))
            .then(
              () => null,
              (err: unknown) => runeErrorFromSdk(err, 'CancelCommand', { command_id: commandId }).message,
            )
            .then((problem) => created.waiters.forEach((w) => w(problem)));
        });
      }
      entry.ids.add(instanceId);
      entry.waiters.push(resolve);
    });
  }

  return {
    kind: 'ssm',
    async close() {
      closed = true;
      for (const group of groups.values()) {
        clearTimeout(group.timer);
        for (const r of group.runs)
          r.reject(
            new RuneError('SSM_API_ERROR', 'the SSM transport closed before this run was sent', {
              node: r.req.target.node,
            }),
          );
      }
      groups.clear();
      client?.destroy();
    },
    exec(req: ExecRequest): Promise<ExecOutcome> {
      return new Promise<ExecOutcome>((resolve, reject) => {
        const instanceId = req.target.instanceId;
        if (instanceId === undefined || !isSsmInstanceId(instanceId)) {
          reject(
            new RuneError(
              'SSM_INVALID_INSTANCE',
              `${req.target.node}: ` +
                (instanceId === undefined
                  ? 'no instance id'
                  : `${JSON.stringify(instanceId)} is not an SSM instance id`) +
                ' (i-… or mi-…)',
              {
                node: req.target.node,
              },
            ),
          );
          return;
        }
        if (closed) {
          reject(new RuneError('SSM_API_ERROR', 'the SSM transport is closed', { node: req.target.node }));
          return;
        }
        const run: PendingRun = {
          req,
          instanceId,
          bytes: Buffer.byteLength(JSON.stringify(inputLine({ instanceId, payload: req.payload })), 'utf8') + 1,
          resolve,
          reject,
        };
        const key = groupKey(req);
        let group = groups.get(key);
        if (!group) {
          group = { runs: [], timer: setTimeout(() => flush(key), coalesceMs) };
          groups.set(key, group);
        }
        group.runs.push(run);
        if (group.runs.length >= SSM_MAX_INSTANCES_PER_COMMAND) flush(key);
      });
    },
  };
}
