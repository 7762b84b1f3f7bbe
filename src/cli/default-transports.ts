import type { TransportKind } from '../core/types';
import type { Settings } from '../settings/read-settings';
import type { Transport } from '../transports/transport';

/**
 * A transport whose module loads on its first run: ssh2 and the AWS SDK cost a quarter of a second
 * to load, and a run on localhost, a dry run or `rune actions` needs neither (docs/benchmarks.md).
 */
function loadedOnFirstRun(kind: TransportKind, load: () => Promise<Transport>): Transport {
  let real: Promise<Transport> | undefined;
  return {
    kind,
    exec: (req) => (real ??= load()).then((t) => t.exec(req)),
    close: async () => {
      if (real)
        await real.then(
          (t) => t.close(),
          () => undefined,
        );
    },
  };
}

/**
 * The real transports. SSM takes region, credentials and endpoint (AWS_ENDPOINT_URL_SSM) from the
 * AWS SDK's own default chain, which reads process.env itself; `s` only supplies RUNE's settings.
 */
export function defaultTransports(s: Settings): Partial<Record<TransportKind, Transport>> {
  const bucket = s.ssmOutputS3Bucket;
  return {
    local: loadedOnFirstRun('local', async () =>
      (await import('../transports/local-transport')).createLocalTransport(),
    ),
    ssh: loadedOnFirstRun('ssh', async () =>
      (await import('../transports/ssh-transport')).createSshTransport({
        ...(s.sshKey ? { keyPath: s.sshKey } : {}),
        ...(s.sshAgent ? { agentSock: s.sshAgent } : {}),
        knownHostsPath: s.knownHosts,
      }),
    ),
    ssm: loadedOnFirstRun('ssm', async () =>
      (await import('../transports/ssm-transport')).createSsmTransport(bucket ? { outputS3Bucket: bucket } : {}),
    ),
  };
}
