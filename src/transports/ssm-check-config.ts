import type { SSMClient } from '@aws-sdk/client-ssm';
import { RuneError } from '../core/errors';

/** Region and credentials are resolved before anything is sent, so a missing one is a clear error. */
export async function checkSsmConfig(client: SSMClient): Promise<void> {
  const config = client.config;
  try {
    await config.region();
  } catch (err) {
    throw new RuneError(
      'SSM_NO_REGION',
      'no AWS region for SSM: set AWS_REGION, or a region in the AWS profile (AWS_PROFILE) ' +
        `(${(err as Error).message})`,
      {},
      { cause: err },
    );
  }
  try {
    await config.credentials();
  } catch (err) {
    throw new RuneError(
      'SSM_NO_CREDENTIALS',
      "no AWS credentials for SSM: the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
        'AWS_PROFILE and ~/.aws, SSO, web identity, container or instance role) ' +
        `found none (${(err as Error).message})`,
      {},
      { cause: err },
    );
  }
}
