import type { CatalogueEntry } from './error-entry';

/**
 * The codes of the HTTP edge (stage `request`) and of refusals only the API gives (paused, job
 * state, incident action): part of the one catalogue, ERROR_CATALOGUE in errors.ts.
 */
export const REQUEST_ERRORS = {
  BAD_REQUEST: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text:
      'the request is malformed: a field of the wrong type, an unknown field or query parameter, ' +
      'a query parameter given twice, a value outside its documented range',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 415,
    text: '`Content-Type` is not `application/json`',
  },
  EMPTY_BODY: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the request has no body where one is needed',
  },
  INVALID_UTF8: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the body is not valid UTF-8',
  },
  INVALID_JSON: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the body is not one JSON document, or nests arrays and objects more than 64 levels deep',
  },
  INVALID_PAYLOAD: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text:
      'JSON, but not an Alertmanager v4, PagerDuty v3 or Custom Incident Action payload; ' +
      '`details.problems` lists each problem with its JSON path',
  },
  BODY_TOO_LARGE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 413,
    text: 'the body is over the limit (2 MiB)',
  },
  UNAUTHENTICATED: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 401,
    text: 'no token, or one RUNE does not know (webhook token, or an API token from `RUNE_API_TOKENS_FILE`)',
  },
  BAD_SIGNATURE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 401,
    text: 'a PagerDuty delivery whose `X-PagerDuty-Signature` matches none of `RUNE_PAGERDUTY_SECRETS`',
  },
  FORBIDDEN: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 403,
    text:
      "the token's role is too low, or an operator's `actions=`/`nodes=` do not cover the action or node " +
      '(`docs/security.md`)',
  },
  TOO_MANY_FAILURES: {
    stage: 'request',
    retryable: true,
    exit: 2,
    http: 429,
    text:
      'a missing or unknown credential from an address with too many failed authentications this minute ' +
      '(`Retry-After` says when to try again); a valid credential from there is still served',
  },
  HOST_NOT_LOOPBACK: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 421,
    text:
      'with `--insecure-no-auth`, a request addressed to a host name other than localhost, 127.0.0.0/8 or [::1] ' +
      '(`Host` header): refused, so that no web page can reach the open RUNE through DNS rebinding',
  },
  NOT_FOUND: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 404,
    text: 'no such endpoint, job or rule',
  },
  JOB_FINISHED: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'cancel of a job that already ended',
  },
  JOB_RUNNING: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'cancel of a running job that changes the node without `force`, or of a job this RUNE process is not running',
  },
  NOTHING_HELD: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'release of a job that holds no node: only a run whose outcome is unknown holds one, until its hold ends',
  },
  PAUSED: {
    stage: 'guard',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'a manual run or incident action while automatic runs are paused (`while_paused: true` runs it anyway)',
  },
  INCIDENT_UNMATCHED: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 422,
    text: 'incident action: no host labels, no node, or no matching rule for the incident',
  },
  PAGERDUTY_UNAVAILABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: "incident action: PagerDuty did not give the incident's alerts in time",
  },
  SHUTTING_DOWN: {
    stage: 'dispatch',
    retryable: true,
    exit: 3,
    http: 503,
    text: 'the service is stopping (SIGTERM): senders retry later',
  },
  STORE_UNAVAILABLE: {
    stage: 'dispatch',
    retryable: true,
    exit: 3,
    http: 503,
    text: 'the database cannot be written (disk full, read-only, locked): nothing was stored, senders retry later',
  },
} as const satisfies Record<string, CatalogueEntry>;
