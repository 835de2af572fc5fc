import { runPolicies } from "../policy/run";
import { targetProgram, TARGET_CONFIG } from "../test/policy/target";
void (async () => {
  const v = await runPolicies(targetProgram(), TARGET_CONFIG);
  for (const x of v) console.log(x.policy, x.resource.split("::").pop(), x.message);
  console.log(v.length);
})();
