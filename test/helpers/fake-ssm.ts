import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { closeTracked } from './live-resources';

/**
 * A local AWS SSM endpoint speaking the AWS JSON 1.1 protocol (docs/protocols.md §4): SendCommand,
 * GetCommandInvocation and CancelCommand, for the real @aws-sdk/client-ssm pointed at it with
 * AWS_ENDPOINT_URL_SSM. It really runs each command: the `commands` lines become `_script.sh` in a
 * scratch folder per instance, run by `sh` with AWS_SSM_INSTANCE_ID set, as the SSM Agent does.
 * Scenarios per instance id script what SSM reports besides (eventual consistency, Delayed,
 * delivery failures, the agent's own execution time-out).
 */

/** How one instance behaves. By default it is online and runs the command at once. */
export interface InstanceScript {
  /** GetCommandInvocation answers InvocationDoesNotExist this many times first (eventual consistency). */
  notYet?: number;
  /** Then `Delayed` (agent unreachable, SSM retrying) for this many polls before running. */
  delayed?: number;
  /** Never picks the command up: `Pending` for `afterPolls` polls, then this terminal state. */
  neverDelivered?: { afterPolls: number; result: 'Delivery Timed Out' | 'Undeliverable' } | 'forever';
  /** The agent's own kill after this many ms instead of executionTimeout (to test "Execution Timed Out" quickly). */
  executionTimeoutMs?: number;
}

export interface SsmCall {
  op: string;
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
}

interface Invocation {
  commandId: string;
  instanceId: string;
  comment: string;
  script: InstanceScript;
  polls: number;
  delayedSeen: number;
  phase: 'pending' | 'delayed' | 'running' | 'done';
  status: string;
  details: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  startedAt: Date | null;
  endedAt: Date | null;
  proc: ChildProcess | null;
  dir: string;
  commands: string[];
  executionTimeoutMs: number;
}

export interface FakeSsm {
  url: string;
  /** Every request, in order, with its parsed body. */
  calls: SsmCall[];
  /** The scratch folder (with its temp dir) where `instanceId` ran `commandId`. */
  dirOf(commandId: string, instanceId: string): string;
  setInstance(instanceId: string, script: InstanceScript): void;
  /** Instances SSM does not manage: SendCommand naming one fails with InvalidInstanceId. */
  unmanaged: Set<string>;
  /** The next `times` calls of `op` fail with this AWS error. */
  failNext(op: string, times: number, type: string, message: string, status?: number): void;
  close(): Promise<void>;
}

const ID = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;
const EXECUTION_TIMEOUT = /^(([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800))$/;
const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[A-Z0-9]+\/\d{8}\/[a-z0-9-]+\/ssm\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startFakeSsm(opts: { root: string; region?: string }): Promise<FakeSsm> {
  const calls: SsmCall[] = [];
  const scripts = new Map<string, InstanceScript>();
  const invocations = new Map<string, Invocation>();
  const failures: { op: string; times: number; type: string; message: string; status: number }[] = [];
  const unmanaged = new Set<string>();
  const key = (c: string, i: string) => `${c}/${i}`;

  function start(inv: Invocation): void {
    inv.phase = 'running';
    inv.status = 'InProgress';
    inv.details = 'InProgress';
    inv.startedAt = new Date();
    mkdirSync(join(inv.dir, 'tmp'), { recursive: true });
    const scriptPath = join(inv.dir, '_script.sh');
    writeFileSync(scriptPath, inv.commands.join('\n'));
    const env = {
      PATH: process.env.PATH,
      HOME: inv.dir,
      TMPDIR: join(inv.dir, 'tmp'),
      AWS_SSM_INSTANCE_ID: inv.instanceId,
      AWS_SSM_REGION_NAME: opts.region ?? 'eu-west-1',
    };
    const proc = spawn('sh', [scriptPath], { cwd: inv.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    inv.proc = proc;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout?.on('data', (c: Buffer) => out.push(c));
    proc.stderr?.on('data', (c: Buffer) => err.push(c));
    const killer = setTimeout(() => finish(inv, 'TimedOut', 'Execution Timed Out', -1), inv.executionTimeoutMs);
    proc.on('close', (code) => {
      clearTimeout(killer);
      if (inv.phase === 'done') return;
      inv.stdout = Buffer.concat(out).toString('utf8');
      inv.stderr = Buffer.concat(err).toString('utf8');
      const rc = code ?? -1;
      // The agent appends this to stderr on a non-zero exit (docs/protocols.md §4.3, observed).
      if (rc !== 0) {
        const sep = inv.stderr === '' || inv.stderr.endsWith('\n') ? '' : '\n';
        inv.stderr += `${sep}failed to run commands: exit status ${rc}`;
      }
      finish(inv, rc === 0 ? 'Success' : 'Failed', rc === 0 ? 'Success' : 'Failed', rc);
    });
  }

  function finish(inv: Invocation, status: string, details: string, rc: number): void {
    if (inv.phase === 'done') return;
    inv.phase = 'done';
    inv.status = status;
    inv.details = details;
    inv.responseCode = rc;
    inv.endedAt = new Date();
    if (inv.proc && inv.proc.exitCode === null) {
      try {
        process.kill(-(inv.proc.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  function sendCommand(b: Record<string, any>): unknown {
    if (b.DocumentName !== 'AWS-RunShellScript')
      throw new AwsError('InvalidDocument', `document ${b.DocumentName} not found`);
    const ids: unknown = b.InstanceIds;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 50)
      throw new AwsError('ValidationException', 'InstanceIds must hold 1 to 50 ids');
    for (const id of ids)
      if (typeof id !== 'string' || !ID.test(id))
        throw new AwsError(
          'ValidationException',
          `Value '${String(id)}' at 'instanceIds' failed to satisfy constraint`,
        );
    if (new Set(ids).size !== ids.length) throw new AwsError('DuplicateInstanceId', 'duplicate instance id');
    if (ids.some((id: string) => unmanaged.has(id)))
      throw new AwsError('InvalidInstanceId', 'Instances not in a valid state for account');
    const p = b.Parameters as Record<string, unknown>;
    const commands = p?.commands;
    if (!Array.isArray(commands) || commands.length < 1 || commands.some((c) => typeof c !== 'string'))
      throw new AwsError('InvalidParameters', 'commands must be a non-empty list of strings');
    const et = p.executionTimeout;
    if (!Array.isArray(et) || et.length !== 1 || !EXECUTION_TIMEOUT.test(String(et[0])))
      throw new AwsError('InvalidParameters', 'executionTimeout is invalid');
    if (Buffer.byteLength(JSON.stringify(p)) > 64 * 1024)
      throw new AwsError('MaxDocumentSizeExceeded', 'The size limit of a document is 64 KB.');
    if (!Number.isInteger(b.TimeoutSeconds) || b.TimeoutSeconds < 30 || b.TimeoutSeconds > 2592000)
      throw new AwsError('ValidationException', 'TimeoutSeconds must be 30 to 2592000');
    if (b.MaxConcurrency !== undefined && !MAX_CONCURRENCY.test(b.MaxConcurrency))
      throw new AwsError('ValidationException', 'MaxConcurrency is invalid');
    if (b.MaxErrors !== undefined && !MAX_ERRORS.test(b.MaxErrors))
      throw new AwsError('ValidationException', 'MaxErrors is invalid');
    if (typeof b.Comment === 'string' && b.Comment.length > 100)
      throw new AwsError('ValidationException', 'Comment is longer than 100');
    const commandId = randomUUID();
    for (const id of ids as string[]) {
      const script = scripts.get(id) ?? {};
      const dir = join(opts.root, commandId, id);
      mkdirSync(dir, { recursive: true });
      const inv: Invocation = {
        commandId,
        instanceId: id,
        comment: b.Comment ?? '',
        script,
        polls: 0,
        delayedSeen: 0,
        phase: 'pending',
        status: 'Pending',
        details: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
        startedAt: null,
        endedAt: null,
        proc: null,
        dir,
        commands: commands as string[],
        executionTimeoutMs: script.executionTimeoutMs ?? Number(et[0]) * 1000,
      };
      invocations.set(key(commandId, id), inv);
      if (script.delayed) inv.phase = 'delayed';
      else if (!script.neverDelivered) start(inv);
    }
    const now = Date.now() / 1000;
    return {
      Command: {
        CommandId: commandId,
        DocumentName: b.DocumentName,
        DocumentVersion: '$DEFAULT',
        Comment: b.Comment ?? '',
        ExpiresAfter: now + b.TimeoutSeconds,
        Parameters: p,
        InstanceIds: ids,
        Targets: [],
        RequestedDateTime: now,
        Status: 'Pending',
        StatusDetails: 'Pending',
        OutputS3BucketName: b.OutputS3BucketName ?? '',
        OutputS3KeyPrefix: '',
        MaxConcurrency: b.MaxConcurrency ?? '50',
        MaxErrors: b.MaxErrors ?? '0',
        TargetCount: ids.length,
        CompletedCount: 0,
        ErrorCount: 0,
        DeliveryTimedOutCount: 0,
        ServiceRole: '',
        NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
        CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
        TimeoutSeconds: b.TimeoutSeconds,
      },
    };
  }

  function getCommandInvocation(b: Record<string, any>): unknown {
    if (typeof b.CommandId !== 'string' || b.CommandId.length !== 36)
      throw new AwsError('InvalidCommandId', 'bad command id');
    const inv = invocations.get(key(b.CommandId, b.InstanceId));
    if (!inv) throw new AwsError('InvocationDoesNotExist', '');
    inv.polls++;
    if (inv.polls <= (inv.script.notYet ?? 0)) throw new AwsError('InvocationDoesNotExist', '');
    if (inv.phase === 'delayed') {
      if (inv.delayedSeen < (inv.script.delayed ?? 0)) {
        inv.delayedSeen++;
        inv.status = 'Delayed';
        inv.details = 'Delayed';
      } else start(inv);
    }
    const never = inv.script.neverDelivered;
    if (
      inv.phase === 'pending' &&
      never &&
      never !== 'forever' &&
      inv.polls - (inv.script.notYet ?? 0) > never.afterPolls
    ) {
      if (never.result === 'Delivery Timed Out') finish(inv, 'TimedOut', 'Delivery Timed Out', -1);
      else finish(inv, 'Failed', 'Undeliverable', -1);
    }
    const done = inv.phase === 'done';
    const elapsed = inv.startedAt && inv.endedAt ? (inv.endedAt.getTime() - inv.startedAt.getTime()) / 1000 : null;
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      Comment: inv.comment,
      DocumentName: 'AWS-RunShellScript',
      DocumentVersion: '$DEFAULT',
      PluginName: 'aws:runShellScript',
      ResponseCode: inv.responseCode,
      ExecutionStartDateTime: inv.startedAt?.toISOString() ?? '',
      ExecutionElapsedTime: elapsed === null ? '' : `PT${elapsed.toFixed(3)}S`,
      ExecutionEndDateTime: inv.endedAt?.toISOString() ?? '',
      Status: inv.status,
      StatusDetails: inv.details,
      // "The first 24,000 characters … Empty until the command finishes" (§4.3).
      StandardOutputContent: done ? inv.stdout.slice(0, 24_000) : '',
      StandardOutputUrl: '',
      StandardErrorContent: done ? inv.stderr.slice(0, 8_000) : '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  function cancelCommand(b: Record<string, any>): unknown {
    const ids: string[] =
      Array.isArray(b.InstanceIds) && b.InstanceIds.length > 0
        ? b.InstanceIds
        : [...invocations.values()].filter((i) => i.commandId === b.CommandId).map((i) => i.instanceId);
    let found = false;
    for (const id of ids) {
      const inv = invocations.get(key(b.CommandId, id));
      if (!inv) continue;
      found = true;
      finish(inv, 'Cancelled', 'Cancelled', -1);
    }
    if (!found) throw new AwsError('InvalidCommandId', 'no such command');
    return {};
  }

  const handlers: Record<string, (b: Record<string, any>) => unknown> = {
    'AmazonSSM.SendCommand': sendCommand,
    'AmazonSSM.GetCommandInvocation': getCommandInvocation,
    'AmazonSSM.CancelCommand': cancelCommand,
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: Record<string, any> = {};
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(payload));
      };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
      }
      calls.push({ op: target.replace(/^AmazonSSM\./, ''), body, headers: req.headers });
      try {
        if (req.method !== 'POST' || req.url !== '/')
          throw new AwsError('UnknownOperationException', `${req.method} ${req.url}`, 404);
        if (req.headers['content-type'] !== 'application/x-amz-json-1.1')
          throw new AwsError('SerializationException', `content-type ${String(req.headers['content-type'])}`);
        // SigV4 is present and scoped to ssm (the signature itself is not recomputed).
        if (
          !SIGV4.test(String(req.headers.authorization ?? '')) ||
          !/^\d{8}T\d{6}Z$/.test(String(req.headers['x-amz-date'] ?? ''))
        ) {
          throw new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
        }
        const handler = handlers[target];
        if (!handler) throw new AwsError('UnknownOperationException', target);
        const op = target.replace(/^AmazonSSM\./, '');
        const failure = failures.find((f) => f.op === op && f.times > 0);
        if (failure) {
          failure.times--;
          throw new AwsError(failure.type, failure.message, failure.status);
        }
        reply(200, handler(body));
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        reply(err.status, { __type: err.type, message: err.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    unmanaged,
    dirOf: (c, i) => join(opts.root, c, i),
    setInstance: (id, script) => void scripts.set(id, script),
    failNext: (op, times, type, message, status = 400) => void failures.push({ op, times, type, message, status }),
    close: closeTracked(
      `fake SSM ${port}`,
      () =>
        new Promise<void>((resolve) => {
          for (const inv of invocations.values()) finish(inv, 'Cancelled', 'Cancelled', -1);
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  };
}

/** Environment for the real SDK: the fake as endpoint, throw-away credentials, nothing from ~/.aws or IMDS. */
export function fakeAwsEnv(url: string, dir: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SSM: url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

const AWS_KEYS = [
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'RUNE_SSM_OUTPUT_S3_BUCKET',
];

/**
 * The SDK reads process.env itself (its default chain), so tests set the AWS variables there:
 * every AWS_* the chain looks at is replaced by `vars` (unset when absent); the returned function restores them.
 */
export function useAwsEnv(vars: Record<string, string>): () => void {
  const saved = new Map(AWS_KEYS.map((k) => [k, process.env[k]]));
  for (const k of AWS_KEYS) delete process.env[k];
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
