#!/usr/bin/env node
/**
 * Fails early, and says what to set, when the repository variables a Pulumi job needs are
 * missing (rather than an expression error on `fromJSON('')` in a later step).
 *
 *   STACK=dev PURPOSE=preview AWS_REGION=... AWS_ROLES=... node .github/scripts/check-variables.js
 *
 * `AWS_ROLES` is the bootstrap's `repositoryVariables.AWS_ROLES` output: JSON
 * `{ "<stack>": { "preview": "<role arn>", "drift": "...", "deploy": "..." } }`.
 */
"use strict";

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The problems with these variables, one line each (empty: all set). */
function problems(env) {
    const out = [];
    const where = "set it under Settings → Secrets and variables → Actions → Variables (README: Deploying, step 2)";
    if (!env.AWS_REGION) out.push(`repository variable AWS_REGION is not set; ${where}`);
    let roles;
    try {
        roles = JSON.parse(env.AWS_ROLES || "null");
    } catch {
        out.push(
            `repository variable AWS_ROLES is not JSON; copy the bootstrap's repositoryVariables.AWS_ROLES output`,
        );
        return out;
    }
    const arn = roles?.[env.STACK]?.[env.PURPOSE];
    if (!arn) out.push(`repository variable AWS_ROLES has no ${env.PURPOSE} role for the stack ${env.STACK}; ${where}`);
    else if (!ROLE_ARN.test(arn)) out.push(`AWS_ROLES.${env.STACK}.${env.PURPOSE} is not an IAM role ARN: ${arn}`);
    const backend = env.PULUMI_BACKEND_URL;
    if (backend && !/^s3:\/\/[a-z0-9.-]+/.test(backend))
        out.push(`repository variable PULUMI_BACKEND_URL must be an s3://bucket URL (or unset for Pulumi Cloud)`);
    return out;
}

module.exports = { problems };

if (require.main === module) {
    const found = problems(process.env);
    for (const p of found) process.stdout.write(`::error::${p}\n`);
    process.exit(found.length > 0 ? 1 : 0);
}
