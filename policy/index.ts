// The only place the PolicyPack is built: constructing it starts the gRPC server the Pulumi CLI
// talks to, so tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, defaultPolicyConfig, PACK_NAME } from "./policies";

new PolicyPack(
  PACK_NAME,
  {
    description:
      "Least privilege, tags and failsafe guarantees for the rds-failsafe program (policy/README.md).",
    enforcementLevel: "mandatory",
    policies: [...allPolicies],
  },
  defaultPolicyConfig(),
);
