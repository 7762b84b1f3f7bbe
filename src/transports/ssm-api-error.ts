import { RuneError } from '../core/errors';

/** What RUNE reads of an error thrown by the SDK (docs/protocols.md §4.5). */
interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : { message: String(err) };
}

export function sdkErrorName(err: unknown): string {
  return shape(err).name ?? 'Error';
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
]);
const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
]);

/**
 * Errors worth polling through: the SDK has already retried them (§4.5), but losing a running
 * command's result to a blip would be worse than one more poll. Client errors are not retried:
 * unlike the SDK waiter (§4.4), an AccessDenied ends the wait at once.
 */
export function isTransientSdkError(err: unknown): boolean {
  const e = shape(err);
  const status = e.$metadata?.httpStatusCode;
  return (
    e.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    THROTTLING.has(e.name ?? '') ||
    NETWORK.has(e.name ?? '') ||
    NETWORK.has(e.code ?? '')
  );
}

/** An SDK error from `operation` → the catalogue, with the AWS error name kept in details. */
export function runeErrorFromSdk(err: unknown, operation: string, context: Record<string, unknown>): RuneError {
  const e = shape(err);
  const name = e.name ?? 'Error';
  const message = e.message && e.message !== 'UnknownError' ? e.message : name;
  const details = {
    ...context,
    operation,
    aws_error: name,
    http_status: e.$metadata?.httpStatusCode ?? null,
    attempts: e.$metadata?.attempts ?? null,
  };
  if (DENIED.has(name)) {
    return new RuneError(
      'SSM_ACCESS_DENIED',
      `AWS refused ${operation} (${name}: ${message}); ` +
        'RUNE needs ssm:SendCommand on the AWS-RunShellScript document and the instances, ' +
        'ssm:GetCommandInvocation and ssm:CancelCommand (docs/transports.md)',
      details,
      { cause: err },
    );
  }
  if (name === 'InvalidInstanceId') {
    const listed = Array.isArray(context.instance_ids)
      ? (context.instance_ids as string[])
      : typeof context.instance_id === 'string'
        ? [context.instance_id]
        : [];
    const ids = listed.length > 0 ? ` ${listed.join(', ')}` : '';
    return new RuneError(
      'SSM_INSTANCE_UNAVAILABLE',
      `SSM refused instance${ids}: it is not a managed node this account and region can reach ` +
        '(SSM Agent not running or not registered, instance terminated, or no permission)',
      details,
      { cause: err },
    );
  }
  const code = e.code && e.code !== name ? ` ${e.code}` : '';
  return new RuneError('SSM_API_ERROR', `SSM ${operation} failed: ${name}${code}: ${message}`, details, { cause: err });
}
