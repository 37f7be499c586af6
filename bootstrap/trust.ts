/**
 * The trust between GitHub Actions and AWS, as plain data: which roles exist, which exact OIDC
 * subject may assume each, and the IAM policy documents. Pure: no Pulumi resource, no AWS call;
 * `bootstrap/index.ts` loops over what this returns and declares the resources.
 */
import { APP_PROJECT, type BootstrapSettings } from "./config";

/** GitHub's OIDC issuer, as IAM names it in condition keys. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;
/** The audience `aws-actions/configure-aws-credentials` requests by default. */
export const STS_AUDIENCE = "sts.amazonaws.com";

/**
 * What a role is for. `preview` runs on pull requests, `drift` on the main branch's schedule
 * (both read-only); `deploy` runs `pulumi up` from the main branch or the stack's environment.
 */
export type Purpose = "preview" | "drift" | "deploy";
export const PURPOSES: readonly Purpose[] = ["preview", "drift", "deploy"];

export interface RolePlan {
    stack: string;
    purpose: Purpose;
    /** IAM role name, also the Pulumi logical name. */
    name: string;
    /** The one OIDC subject allowed to assume it (`repo:OWNER/REPO:...`). */
    subject: string;
    readOnly: boolean;
    description: string;
}

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: Record<string, string | string[]> | "*";
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/**
 * The exact subject of a job's OIDC token (GitHub's documented formats): a job with an
 * `environment:` gets `repo:OWNER/REPO:environment:NAME` whatever its event; otherwise a
 * `pull_request` event gets `repo:OWNER/REPO:pull_request` and a push or schedule on a branch
 * `repo:OWNER/REPO:ref:refs/heads/BRANCH`.
 */
export function subjectFor(settings: BootstrapSettings, stack: string, purpose: Purpose): string {
    const repo = `repo:${settings.repository}`;
    switch (purpose) {
        case "preview":
            return `${repo}:pull_request`;
        case "drift":
            return `${repo}:ref:refs/heads/${settings.mainBranch}`;
        case "deploy": {
            const env = settings.stacks.find((s) => s.name === stack)?.deployEnvironment;
            return env ? `${repo}:environment:${env}` : `${repo}:ref:refs/heads/${settings.mainBranch}`;
        }
    }
}

/** The IAM role name of a stack's role: `private-app-<stack>-<purpose>`. */
export function roleName(stack: string, purpose: Purpose): string {
    return `${APP_PROJECT}-${stack}-${purpose}`;
}

/** One role per stack and purpose, in a stable order (stacks as configured, then purpose). */
export function planRoles(settings: BootstrapSettings): RolePlan[] {
    return settings.stacks.flatMap((s) =>
        PURPOSES.map((purpose) => {
            const subject = subjectFor(settings, s.name, purpose);
            assertExactSubject(subject);
            const readOnly = purpose !== "deploy";
            const what =
                purpose === "preview"
                    ? "pulumi preview on pull requests"
                    : purpose === "drift"
                      ? "scheduled drift check (preview --refresh --expect-no-changes)"
                      : "pulumi up";
            return {
                stack: s.name,
                purpose,
                name: roleName(s.name, purpose),
                subject,
                readOnly,
                description: `GitHub Actions (${settings.repository}): ${what} of ${APP_PROJECT}/${s.name}${readOnly ? ", read-only" : ""}`,
            };
        }),
    );
}

/** A subject with a wildcard or an empty part would admit more than one kind of job. */
export function assertExactSubject(subject: string): void {
    if (/[*?]/.test(subject) || !/^repo:[^:/]+\/[^:/]+:.+[^:]$/.test(subject) || subject.includes("::")) {
        throw new Error(`OIDC subject ${JSON.stringify(subject)} is not exact: no wildcard, no empty part`);
    }
}

/**
 * The trust policy of a role assumed by GitHub Actions: the GitHub OIDC provider only, audience
 * `sts.amazonaws.com`, and exactly one subject (`StringEquals`, never `StringLike`).
 */
export function githubTrustPolicy(oidcProviderArn: string, subject: string): PolicyDocument {
    assertExactSubject(subject);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "GitHubActionsOidc",
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
                        [`${GITHUB_OIDC_HOST}:sub`]: subject,
                    },
                },
            },
        ],
    };
}

/** The state bucket refuses every request that is not over TLS. */
export function stateBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

/** KMS alias of a stack's secrets key: `alias/private-app-state-<stack>`. */
export function secretsKeyAlias(stack: string): string {
    return `alias/${APP_PROJECT}-state-${stack}`;
}

/** The `--secrets-provider` of a stack on the self-managed backend. */
export function secretsProviderUrl(stack: string, region: string): string {
    return `awskms://${secretsKeyAlias(stack)}?region=${region}`;
}

/** The `pulumi login` URL of the self-managed backend. */
export function backendUrl(bucket: string, region: string): string {
    return `s3://${bucket}?region=${region}`;
}

/**
 * Access of one stack's role to the self-managed backend: list the bucket, read the backend's
 * `meta.yaml` and this stack's own files (state, history, backups, locks) of the app project;
 * a deploy role also writes them, a read-only role only takes and releases its lock. KMS:
 * decrypt with this stack's key (and encrypt with it when deploying), never another stack's.
 */
export function stateAccessPolicy(args: {
    bucketArn: string;
    keyArn: string;
    stack: string;
    write: boolean;
}): PolicyDocument {
    const { bucketArn, keyArn, stack, write } = args;
    const own = [
        `${bucketArn}/.pulumi/stacks/${APP_PROJECT}/${stack}.json*`,
        `${bucketArn}/.pulumi/history/${APP_PROJECT}/${stack}/*`,
        `${bucketArn}/.pulumi/backups/${APP_PROJECT}/${stack}/*`,
    ];
    const locks = `${bucketArn}/.pulumi/locks/${APP_PROJECT}/${stack}/*`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListStateBucket",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                Resource: bucketArn,
            },
            {
                Sid: "ReadOwnState",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: [`${bucketArn}/.pulumi/meta.yaml`, ...own, locks],
            },
            {
                Sid: write ? "WriteOwnState" : "TakeOwnLock",
                Effect: "Allow",
                Action: ["s3:PutObject", "s3:DeleteObject"],
                Resource: write ? [...own, locks] : [locks],
            },
            {
                Sid: write ? "EncryptDecryptOwnSecrets" : "DecryptOwnSecrets",
                Effect: "Allow",
                Action: write
                    ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
                    : ["kms:Decrypt", "kms:DescribeKey"],
                Resource: keyArn,
            },
        ],
    };
}
