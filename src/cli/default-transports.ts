import type { TransportKind } from '../core/types';
import type { Settings } from '../settings/read-settings';
import type { Transport } from '../transports/transport';

/**
 * A transport whose module loads on its first run: ssh2 and the AWS SDK cost a quarter of a second
 * to load, and a run on localhost, a dry run or `rune actions` needs neither (docs/benchmarks.md).
 * `loaded()` is the real transport once its first run has loaded it.
 */
function loadedOnFirstRun<T extends Transport>(kind: TransportKind, load: () => Promise<T>) {
  let real: Promise<T> | undefined;
  let loaded: T | undefined;
  const get = () => (real ??= load().then((t) => (loaded = t)));
  const transport: Transport = {
    kind,
    exec: (req) => get().then((t) => t.exec(req)),
    close: async () => {
      if (real)
        await real.then(
          (t) => t.close(),
          () => undefined,
        );
    },
  };
  return { transport, loaded: () => loaded };
}

/**
 * The real transports. SSM takes region, credentials and endpoint (AWS_ENDPOINT_URL_SSM) from the
 * AWS SDK's own default chain, which reads process.env itself; `s` only supplies RUNE's settings.
 */
export function defaultTransports(s: Settings): Partial<Record<TransportKind, Transport>> {
  const bucket = s.ssmOutputS3Bucket;
  const local = loadedOnFirstRun('local', async () =>
    (await import('../transports/local-transport')).createLocalTransport(),
  );
  const ssh = loadedOnFirstRun('ssh', async () =>
    (await import('../transports/ssh-transport')).createSshTransport({
      ...(s.sshKey ? { keyPath: s.sshKey } : {}),
      ...(s.sshAgent ? { agentSock: s.sshAgent } : {}),
      knownHostsPath: s.knownHosts,
    }),
  );
  const ssm = loadedOnFirstRun('ssm', async () =>
    (await import('../transports/ssm-transport')).createSsmTransport(bucket ? { outputS3Bucket: bucket } : {}),
  );
  return {
    local: local.transport,
    // The SSH pool's size is a metric of `rune serve` (rune_ssh_pool_connections): none before the first run.
    ssh: Object.assign(ssh.transport, { poolSize: () => ssh.loaded()?.poolSize() ?? 0 }),
    ssm: ssm.transport,
  };
}
