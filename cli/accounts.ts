/**
 * How the operator CLI reaches the two accounts: one profile or role per account (read-only
 * calls unless a command says --apply), the region, and an endpoint override for the emulator.
 * Plain TypeScript like the handlers: AWS SDK v3 clients, no @pulumi import.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { CLIENT_DEFAULTS } from "../handlers/context";

export type AccountName = "prod" | "failsafe";

/** Global options every command takes (cli/index.ts declares them). */
export interface AccountOptions {
  readonly region: string;
  readonly endpoint?: string;
  readonly prodProfile?: string;
  readonly prodRoleArn?: string;
  readonly failsafeProfile?: string;
  readonly failsafeRoleArn?: string;
}

export interface AccountClients {
  readonly name: AccountName;
  readonly rds: RDSClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly cloudwatch: CloudWatchClient;
  /** Reads the deployed functions' settings (GetFunctionConfiguration; cli/settings.ts). */
  readonly lambda: LambdaClient;
  /** The identity the calls run as (GetCallerIdentity), for reports and errors. */
  identity(): Promise<{ account: string; arn: string }>;
}

/** Thrown for anything the operator must fix in the command line: printed without a stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function credentials(
  name: AccountName,
  profile: string | undefined,
  roleArn: string | undefined,
  base: { region: string; endpoint?: string },
): ReturnType<typeof fromIni> | undefined {
  if (profile && roleArn) {
    throw new UsageError(`give --${name}-profile or --${name}-role-arn, not both`);
  }
  if (profile) {
    // A profile that assumes a role (role_arn + source_profile) calls STS: at the endpoint too.
    return fromIni({
      profile,
      clientConfig: { region: base.region, ...(base.endpoint ? { endpoint: base.endpoint } : {}) },
    });
  }
  if (roleArn) {
    // The role is assumed with the ambient credentials (SSO session, instance role, env vars).
    return fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: `rds-failsafe-cli-${name}` },
      clientConfig: { region: base.region, ...(base.endpoint ? { endpoint: base.endpoint } : {}) },
    });
  }
  return undefined; // the default chain
}

/** Clients for one account, created on first use. */
export function accountClients(name: AccountName, options: AccountOptions): AccountClients {
  const profile = name === "prod" ? options.prodProfile : options.failsafeProfile;
  const roleArn = name === "prod" ? options.prodRoleArn : options.failsafeRoleArn;
  const base = {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const config = {
    ...base,
    ...CLIENT_DEFAULTS,
    credentials: credentials(name, profile, roleArn, base),
  };
  const sts = new STSClient(config);
  let identity: Promise<{ account: string; arn: string }> | undefined;
  return {
    name,
    rds: new RDSClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    cloudwatch: new CloudWatchClient(config),
    lambda: new LambdaClient(config),
    identity() {
      identity ??= sts.send(new GetCallerIdentityCommand({})).then((out) => ({
        account: out.Account ?? "",
        arn: out.Arn ?? "",
      }));
      return identity;
    },
  };
}
