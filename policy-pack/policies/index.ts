/**
 * Every policy of the `private-app` pack, in evaluation order. `index.ts` serves exactly this list;
 * tests and the offline plan (`evaluate.ts`) import it without starting the analyzer.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { computePolicies } from "./compute";
import { databasePolicies } from "./database";
import { networkPolicies } from "./network";

export * from "./compute";
export * from "./database";
export * from "./network";

/** The pack's policies. Adding a policy means adding it to its module's list. */
export const allPolicies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = Object.freeze([
    ...databasePolicies,
    ...networkPolicies,
    ...computePolicies,
]);

/** The policies that must stay mandatory by default (CONTRACT.md, "Policy pack"). */
export const MANDATORY_POLICY_NAMES: readonly string[] = [
    "rds-not-publicly-accessible",
    "no-world-ingress-to-postgres",
];
