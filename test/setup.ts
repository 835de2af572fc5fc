// Mocha root hooks (loaded through .mocharc.json's `require`): one moto server for the whole
// run, on a free loopback port, with test/emulator/extensions.py applied.
import { setEmulatorEndpoint } from "./harness";
import { READY_TIMEOUT_MS, startEmulator, type RunningEmulator } from "./support/emulator-process";

let server: RunningEmulator | undefined;

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    const external = process.env["MOTO_ENDPOINT"];
    if (external) {
      setEmulatorEndpoint(external.replace(/\/+$/, ""));
      return;
    }
    // A fresh machine builds the venv here: allow for pip.
    this.timeout(READY_TIMEOUT_MS + 300_000);
    server = await startEmulator();
    setEmulatorEndpoint(server.endpoint);
  },

  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(10_000);
    const running = server;
    server = undefined;
    await running?.stop();
  },
};
