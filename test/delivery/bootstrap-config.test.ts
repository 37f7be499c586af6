/**
 * bootstrap/config.ts and bootstrap/trust.ts, directly: config validation (every problem at
 * once, each naming its full key), the exact OIDC subjects, the trust and state policies.
 */
import * as assert from "assert";
import {
    BootstrapConfigError,
    DEFAULT_DEPLOY_POLICY_ARNS,
    DEFAULT_MAX_SESSION_HOURS,
    DEFAULT_READ_ONLY_POLICY_ARNS,
    parseBootstrapConfig,
    type BootstrapSettings,
} from "../../bootstrap/config";
import {
    assertExactSubject,
    githubTrustPolicy,
    planRoles,
    stateAccessPolicy,
    stateBucketPolicy,
    subjectFor,
} from "../../bootstrap/trust";

const NS = "private-app-bootstrap";

/** Config as the runtime gives it: full keys, objects as JSON strings. */
function config(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [`${NS}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

const VALID = {
    github: { repository: "acme/private-app" },
    stacks: { dev: {}, prod: { deployEnvironment: "prod" } },
};

function problems(values: Record<string, unknown>): readonly string[] {
    try {
        parseBootstrapConfig(config(values));
    } catch (e) {
        assert.ok(e instanceof BootstrapConfigError, String(e));
        assert.strictEqual(e.name, "ConfigError", "the offline plan reports it as exit 2 by this name");
        return e.problems;
    }
    assert.fail("expected a BootstrapConfigError");
}

describe("bootstrap config (bootstrap/config.ts)", () => {
    it("a minimal config gets the documented defaults", () => {
        const s = parseBootstrapConfig(config(VALID));
        assert.deepStrictEqual(s, {
            repository: "acme/private-app",
            mainBranch: "main",
            stacks: [{ name: "dev" }, { name: "prod", deployEnvironment: "prod" }],
            backend: { kind: "pulumi-cloud" },
            readOnlyPolicyArns: DEFAULT_READ_ONLY_POLICY_ARNS,
            deployPolicyArns: DEFAULT_DEPLOY_POLICY_ARNS,
            maxSessionHours: DEFAULT_MAX_SESSION_HOURS,
        } satisfies BootstrapSettings);
    });

    it("every problem at once, each naming its full key and the value given", () => {
        const p = problems({
            github: { repository: "acme/*", mainBranch: "release/*", colour: "red" },
            stacks: { "dev prod": {}, qa: { deployEnvironment: "*" } },
            backend: { kind: "ftp" },
            roles: { deployPolicyArns: ["AdministratorAccess"], maxSessionHours: 24 },
        });
        const keys = p.map((l) => l.split(":").slice(0, 2).join(":"));
        assert.deepStrictEqual(keys, [
            `${NS}:github.colour`,
            `${NS}:github.repository`,
            `${NS}:github.mainBranch`,
            `${NS}:stacks.dev prod`,
            `${NS}:stacks.qa.deployEnvironment`,
            `${NS}:backend.kind`,
            `${NS}:roles.deployPolicyArns`,
            `${NS}:roles.maxSessionHours`,
        ]);
        assert.match(p[1], /got "acme\/\*"; expected OWNER\/REPO/);
        assert.match(p[4], /got "\*"/);
        assert.match(p[7], /got 24; expected a whole number of hours from 1 to 12/);
    });

    it("github and stacks are required", () => {
        const p = problems({});
        assert.match(p[0], new RegExp(`^${NS}:github: got nothing \\(unset\\)`));
        assert.match(p[1], new RegExp(`^${NS}:stacks: got nothing \\(unset\\)`));
        assert.match(problems({ ...VALID, stacks: {} })[0], new RegExp(`^${NS}:stacks: got \\{\\}`));
    });

    it("an environment name that would widen or break the subject is refused", () => {
        for (const env of ["prod:*", "pr od", "", "p?"]) {
            const p = problems({ ...VALID, stacks: { prod: { deployEnvironment: env } } });
            assert.match(p[0], new RegExp(`^${NS}:stacks\\.prod\\.deployEnvironment: got`), env);
        }
    });

    it("the s3 backend, with or without a bucket name; a bad name is refused", () => {
        assert.deepStrictEqual(parseBootstrapConfig(config({ ...VALID, backend: { kind: "s3" } })).backend, {
            kind: "s3",
        });
        assert.deepStrictEqual(
            parseBootstrapConfig(config({ ...VALID, backend: { kind: "s3", bucketName: "acme-pulumi-state" } }))
                .backend,
            { kind: "s3", bucketName: "acme-pulumi-state" },
        );
        assert.match(
            problems({ ...VALID, backend: { kind: "s3", bucketName: "Acme_State" } })[0],
            new RegExp(`^${NS}:backend.bucketName: got "Acme_State"`),
        );
    });

    it("an existing OIDC provider must be GitHub's", () => {
        const arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        const s = parseBootstrapConfig(config({ ...VALID, github: { ...VALID.github, existingOidcProviderArn: arn } }));
        assert.strictEqual(s.existingOidcProviderArn, arn);
        const p = problems({
            ...VALID,
            github: { ...VALID.github, existingOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com" },
        });
        assert.match(p[0], new RegExp(`^${NS}:github.existingOidcProviderArn: got`));
    });
});

describe("bootstrap trust (bootstrap/trust.ts)", () => {
    const settings = parseBootstrapConfig(config(VALID));

    it("exact subjects: pull requests, the main branch, the prod environment", () => {
        assert.strictEqual(subjectFor(settings, "dev", "preview"), "repo:acme/private-app:pull_request");
        assert.strictEqual(subjectFor(settings, "dev", "drift"), "repo:acme/private-app:ref:refs/heads/main");
        assert.strictEqual(subjectFor(settings, "dev", "deploy"), "repo:acme/private-app:ref:refs/heads/main");
        assert.strictEqual(subjectFor(settings, "prod", "preview"), "repo:acme/private-app:pull_request");
        assert.strictEqual(subjectFor(settings, "prod", "deploy"), "repo:acme/private-app:environment:prod");
    });

    it("one role per stack and purpose; only deploy roles can write", () => {
        const roles = planRoles(settings);
        assert.deepStrictEqual(
            roles.map((r) => [r.name, r.readOnly]),
            [
                ["private-app-dev-preview", true],
                ["private-app-dev-drift", true],
                ["private-app-dev-deploy", false],
                ["private-app-prod-preview", true],
                ["private-app-prod-drift", true],
                ["private-app-prod-deploy", false],
            ],
        );
        for (const r of roles) assert.ok(r.name.length <= 64, r.name);
    });

    it("the trust policy: GitHub's provider, audience sts.amazonaws.com, one exact subject", () => {
        const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        const doc = githubTrustPolicy(provider, "repo:acme/private-app:environment:prod");
        assert.deepStrictEqual(doc.Statement, [
            {
                Sid: "GitHubActionsOidc",
                Effect: "Allow",
                Principal: { Federated: provider },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": "repo:acme/private-app:environment:prod",
                    },
                },
            },
        ]);
    });

    it("refuses a wildcard or an incomplete subject", () => {
        for (const s of [
            "repo:acme/*:pull_request",
            "repo:acme/private-app:*",
            "*",
            "repo:acme/private-app:",
            "repo:acme/private-app::x",
        ]) {
            assert.throws(() => assertExactSubject(s), /is not exact/, s);
            assert.throws(() => githubTrustPolicy("arn:x", s), /is not exact/, s);
        }
    });

    it("the state bucket refuses requests without TLS", () => {
        const doc = stateBucketPolicy("arn:aws:s3:::state");
        assert.deepStrictEqual(doc.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.strictEqual(doc.Statement[0].Effect, "Deny");
        assert.deepStrictEqual(doc.Statement[0].Resource, ["arn:aws:s3:::state", "arn:aws:s3:::state/*"]);
    });

    it("a stack's role reaches only its own state and key; read-only roles write only their lock", () => {
        const args = { bucketArn: "arn:aws:s3:::state", keyArn: "arn:aws:kms:eu-west-1:1:key/k", stack: "dev" };
        const read = stateAccessPolicy({ ...args, write: false });
        const write = stateAccessPolicy({ ...args, write: true });
        const resources = (doc: typeof read, sid: RegExp) =>
            doc.Statement.filter((s) => sid.test(s.Sid ?? "")).flatMap((s) => [s.Resource ?? []].flat());
        for (const doc of [read, write]) {
            for (const r of resources(doc, /State|Lock/).filter(
                (r) => r.includes("/.pulumi/") && !r.endsWith("meta.yaml"),
            ))
                assert.match(r, /\/private-app\/dev(\.json\*|\/\*)$/, r);
        }
        assert.deepStrictEqual(resources(read, /TakeOwnLock/), ["arn:aws:s3:::state/.pulumi/locks/private-app/dev/*"]);
        const kms = (doc: typeof read) => doc.Statement.find((s) => /Secrets/.test(s.Sid ?? ""))!.Action;
        assert.deepStrictEqual(kms(read), ["kms:Decrypt", "kms:DescribeKey"]);
        assert.ok((kms(write) as string[]).includes("kms:Encrypt"));
    });
});
