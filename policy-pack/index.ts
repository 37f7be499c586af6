// The `private-app` CrossGuard policy pack: `pulumi preview --policy-pack policy-pack`.
//
// This file only constructs the PolicyPack, which starts the analyzer's gRPC server: never import
// it from tests or tools. Import `./policies` (the policies) or `./evaluate` (the offline engine).
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("private-app", {
    description:
        "Guardrails for an app with a private PostgreSQL database on AWS: no public database, no world ingress to it, private compute, encrypted and recoverable data, no plain-text secrets.",
    displayName: "private-app",
    provider: "aws",
    tags: ["aws", "rds", "postgresql", "network"],
    policies: [...allPolicies],
});
