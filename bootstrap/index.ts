/**
 * private-app-bootstrap: the AWS side of the trust between GitHub Actions and AWS, applied once
 * per account by an administrator (see README "Deploying").
 *
 * - the GitHub OIDC provider (or an existing one, `github.existingOidcProviderArn`);
 * - per application stack, three roles, each assumable by exactly one OIDC subject of this
 *   repository: `preview` (pull requests, read-only), `drift` (the main branch's schedule,
 *   read-only) and `deploy` (the main branch, or the stack's protected GitHub environment);
 * - with `backend.kind: s3`: the state bucket (versioned, encrypted, private, TLS-only) and one
 *   KMS key per stack for its secrets (`awskms://` secrets provider).
 *
 * The decisions live in `config.ts` and `trust.ts` (pure, tested directly); this file declares.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseBootstrapConfig } from "./config";
import {
    backendUrl,
    GITHUB_OIDC_URL,
    githubTrustPolicy,
    planRoles,
    secretsKeyAlias,
    secretsProviderUrl,
    stateAccessPolicy,
    stateBucketPolicy,
    STS_AUDIENCE,
    type RolePlan,
} from "./trust";

const settings = parseBootstrapConfig(pulumi.runtime.allConfig());
const region = new pulumi.Config("aws").require("region");

function createOidcProvider(): pulumi.Output<string> {
    if (settings.existingOidcProviderArn) return pulumi.output(settings.existingOidcProviderArn);
    // AWS trusts GitHub's certificate through its own CA library: no thumbprint to maintain.
    const provider = new aws.iam.OpenIdConnectProvider("github", {
        url: GITHUB_OIDC_URL,
        clientIdLists: [STS_AUDIENCE],
    });
    return provider.arn;
}

interface StateBackend {
    bucket: aws.s3.Bucket;
    keys: Map<string, aws.kms.Key>;
}

function createStateBackend(): StateBackend | undefined {
    if (settings.backend.kind !== "s3") return undefined;
    // Losing the state bucket or a key loses every stack's state or secrets: protected.
    const keep = { protect: true };
    const bucket = new aws.s3.Bucket(
        "state",
        { ...(settings.backend.bucketName ? { bucket: settings.backend.bucketName } : {}), forceDestroy: false },
        keep,
    );
    new aws.s3.BucketVersioning(
        "state",
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        { parent: bucket },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        "state",
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        { parent: bucket },
    );
    new aws.s3.BucketPublicAccessBlock(
        "state",
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        { parent: bucket },
    );
    new aws.s3.BucketOwnershipControls(
        "state",
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        { parent: bucket },
    );
    new aws.s3.BucketPolicy(
        "state",
        { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(stateBucketPolicy(arn))) },
        { parent: bucket },
    );

    const keys = new Map<string, aws.kms.Key>();
    for (const s of settings.stacks) {
        const key = new aws.kms.Key(
            `secrets-${s.name}`,
            {
                description: `Pulumi secrets of private-app/${s.name}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            keep,
        );
        new aws.kms.Alias(
            `secrets-${s.name}`,
            { name: secretsKeyAlias(s.name), targetKeyId: key.keyId },
            { parent: key },
        );
        keys.set(s.name, key);
    }
    return { bucket, keys };
}

function createRole(
    plan: RolePlan,
    oidcProviderArn: pulumi.Output<string>,
    backend: StateBackend | undefined,
): aws.iam.Role {
    const role = new aws.iam.Role(plan.name, {
        name: plan.name,
        description: plan.description,
        assumeRolePolicy: oidcProviderArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, plan.subject))),
        maxSessionDuration: settings.maxSessionHours * 3600,
        ...(settings.permissionsBoundaryArn ? { permissionsBoundary: settings.permissionsBoundaryArn } : {}),
    });
    const policies = plan.readOnly ? settings.readOnlyPolicyArns : settings.deployPolicyArns;
    policies.forEach((policyArn, i) => {
        new aws.iam.RolePolicyAttachment(`${plan.name}-${i}`, { role: role.name, policyArn }, { parent: role });
    });
    if (backend) {
        const key = backend.keys.get(plan.stack)!;
        new aws.iam.RolePolicy(
            `${plan.name}-state`,
            {
                role: role.name,
                policy: pulumi
                    .all([backend.bucket.arn, key.arn])
                    .apply(([bucketArn, keyArn]) =>
                        JSON.stringify(
                            stateAccessPolicy({ bucketArn, keyArn, stack: plan.stack, write: !plan.readOnly }),
                        ),
                    ),
            },
            { parent: role },
        );
    }
    return role;
}

const oidcProviderArn = createOidcProvider();
const backend = createStateBackend();
const plans = planRoles(settings);
const roles = plans.map((plan) => ({ plan, role: createRole(plan, oidcProviderArn, backend) }));

/** Role ARNs by stack and purpose: the value of the repository variable `AWS_ROLES`. */
const roleArns = pulumi.all(roles.map(({ plan, role }) => role.arn.apply((arn) => ({ plan, arn })))).apply((all) => {
    const byStack: Record<string, Record<string, string>> = {};
    for (const { plan, arn } of all) (byStack[plan.stack] ??= {})[plan.purpose] = arn;
    return byStack;
});

export const oidcProvider = oidcProviderArn;
export const roleArnsByStack = roleArns;
/** Which exact OIDC subject may assume each role. */
export const subjects = Object.fromEntries(plans.map((p) => [p.name, p.subject]));
export const stateBucket = backend?.bucket.id;
export const secretsProviders = backend
    ? Object.fromEntries(settings.stacks.map((s) => [s.name, secretsProviderUrl(s.name, region)]))
    : undefined;
/** What to set in the repository's Settings → Secrets and variables → Actions → Variables. */
export const repositoryVariables = pulumi.all([roleArns, backend?.bucket.id]).apply(([arns, bucket]) => ({
    AWS_REGION: region,
    AWS_ROLES: JSON.stringify(arns),
    ...(bucket ? { PULUMI_BACKEND_URL: backendUrl(bucket, region) } : {}),
}));
