// The acceptance run's environment on the emulator: the world stands in for the two deployed
// stacks (keys, topics, queues with the program's fixed names), and the sweeps are the deployed
// code (each CallbackFunction's archive) run in Lambda-like processes, as test/support/deployed.ts
// runs it: moto's Lambda Invoke needs docker, which these machines do not have.
import { accountClients, FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "../test/harness";
import { deployedCode, FUNCTIONS } from "../test/support/deployed";
import { scheduledSweepEvent } from "../test/support/events";
import { createWorld } from "../test/support/world";
import type { AcceptanceEnvironment } from "./acceptance-run";

export async function emulatorEnvironment(): Promise<AcceptanceEnvironment> {
  const world = await createWorld();
  const code = await deployedCode(world);
  const prod = await accountClients(PROD_ACCOUNT);
  const failsafe = await accountClients(FAILSAFE_ACCOUNT);
  return {
    region: REGION,
    prod: { account: PROD_ACCOUNT, rds: prod.rds, kms: prod.kms },
    failsafe: { account: FAILSAFE_ACCOUNT, rds: failsafe.rds, kms: failsafe.kms },
    async invokeSweep(which) {
      const name = which === "prod-sweep" ? FUNCTIONS.prodSweep : FUNCTIONS.failsafeSweep;
      const account = which === "prod-sweep" ? PROD_ACCOUNT : FAILSAFE_ACCOUNT;
      const fn = code.spawn(name);
      try {
        await fn.invoke(scheduledSweepEvent(name, account, REGION));
      } finally {
        fn.stop();
      }
    },
    pause: () => Promise.resolve(),
    instanceClass: "db.t3.micro",
    // moto takes a cluster's automated snapshot at creation, without instances.
    clusterInstance: false,
  };
}
