/** Both sides' entry points (the Lambda bundles use handlers/prod.ts and handlers/failsafe.ts). */
export { failsafeHandlers, type FailsafeHandlers, type FailsafeSettingsInput } from "./failsafe";
export { prodHandlers, type ProdHandlers, type ProdSettingsInput } from "./prod";
