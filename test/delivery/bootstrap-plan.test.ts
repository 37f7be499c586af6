/**
 * The bootstrap program planned offline (`npm run plan -- bootstrap/Pulumi.shared.yaml`), each
 * stack in its own process: the GitHub OIDC provider, one role per app stack and purpose whose
 * trust names this repository and one exact subject, and the self-managed state backend.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PlanDocument } from "../../tools/run-plan";
import { planCli, planJson, ROOT, tempFile } from "../support/plan-cli";

const STACK_FILE = "bootstrap/Pulumi.shared.yaml";
const REPO = "example-org/private-app";

type Resource = PlanDocument["resources"][number];

function ofType(doc: PlanDocument, type: string): Resource[] {
    return doc.resources.filter((r) => r.type === type);
}

/** A bootstrap stack file with other config, in a temporary copy of the project folder. */
function tempBootstrapStack(config: Record<string, unknown>): string {
    const file = tempFile("Pulumi.other.yaml", JSON.stringify({ config }, null, 2));
    fs.copyFileSync(path.join(ROOT, "bootstrap", "Pulumi.yaml"), path.join(path.dirname(file), "Pulumi.yaml"));
    return file;
}

describe("bootstrap plan (bootstrap/index.ts, offline)", () => {
    let doc: PlanDocument;
    before(async () => {
        ({ doc } = await planJson(STACK_FILE));
    });

    it("plans the bootstrap project, not the app, with no policy violation", () => {
        assert.strictEqual(doc.stack, "shared");
        assert.ok(doc.resources.every((r) => r.urn.includes("::private-app-bootstrap::")));
        assert.deepStrictEqual(doc.violations, []);
    });

    it("creates GitHub's OIDC provider for the audience sts.amazonaws.com", () => {
        const [provider, ...more] = ofType(doc, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        assert.deepStrictEqual(more, []);
        assert.strictEqual(provider.inputs.url, "https://token.actions.githubusercontent.com");
        assert.deepStrictEqual(provider.inputs.clientIdLists, ["sts.amazonaws.com"]);
    });

    it("one role per stack and purpose, each trusting one exact subject of this repository", () => {
        const roles = ofType(doc, "aws:iam/role:Role");
        const subjects = Object.fromEntries(
            roles.map((r) => {
                const trust = JSON.parse(r.inputs.assumeRolePolicy as string);
                assert.strictEqual(trust.Statement.length, 1, r.name);
                const [s] = trust.Statement;
                assert.strictEqual(s.Effect, "Allow");
                assert.strictEqual(s.Action, "sts:AssumeRoleWithWebIdentity");
                assert.strictEqual(s.Principal.Federated, doc.outputs.oidcProvider, "the GitHub OIDC provider");
                assert.deepStrictEqual(Object.keys(s.Condition), ["StringEquals"], "no StringLike: no pattern");
                const eq = s.Condition.StringEquals;
                assert.strictEqual(eq["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
                const sub: string = eq["token.actions.githubusercontent.com:sub"];
                assert.ok(!sub.includes("*") && !sub.includes("?"), `no wildcard in ${sub}`);
                assert.ok(sub.startsWith(`repo:${REPO}:`), sub);
                assert.strictEqual(r.inputs.name, r.name);
                assert.strictEqual(r.inputs.maxSessionDuration, 3600);
                return [r.name, sub];
            }),
        );
        assert.deepStrictEqual(subjects, {
            "private-app-dev-preview": `repo:${REPO}:pull_request`,
            "private-app-dev-drift": `repo:${REPO}:ref:refs/heads/main`,
            "private-app-dev-deploy": `repo:${REPO}:ref:refs/heads/main`,
            "private-app-prod-preview": `repo:${REPO}:pull_request`,
            "private-app-prod-drift": `repo:${REPO}:ref:refs/heads/main`,
            "private-app-prod-deploy": `repo:${REPO}:environment:prod`,
        });
    });

    it("preview and drift roles are read-only; deploy roles can deploy", () => {
        const attachments = ofType(doc, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
        const byRole = (name: string) =>
            attachments.filter((a) => a.name.startsWith(`${name}-`)).map((a) => a.inputs.policyArn);
        for (const stack of ["dev", "prod"]) {
            assert.deepStrictEqual(byRole(`private-app-${stack}-preview`), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
            assert.deepStrictEqual(byRole(`private-app-${stack}-drift`), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
            assert.deepStrictEqual(byRole(`private-app-${stack}-deploy`), [
                "arn:aws:iam::aws:policy/AdministratorAccess",
            ]);
        }
    });

    it("the state bucket: versioned, encrypted, private, TLS only; a KMS key per stack", () => {
        assert.strictEqual(ofType(doc, "aws:s3/bucket:Bucket").length, 1);
        const [versioning] = ofType(doc, "aws:s3/bucketVersioning:BucketVersioning");
        assert.deepStrictEqual(versioning.inputs.versioningConfiguration, { status: "Enabled" });
        const [sse] = ofType(
            doc,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        );
        assert.ok(JSON.stringify(sse.inputs.rules).includes("AES256"));
        const [block] = ofType(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
            assert.strictEqual(block.inputs[k], true, k);
        const [policy] = ofType(doc, "aws:s3/bucketPolicy:BucketPolicy");
        const statement = JSON.parse(policy.inputs.policy as string).Statement[0];
        assert.deepStrictEqual(statement.Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.strictEqual(statement.Effect, "Deny");
        const keys = ofType(doc, "aws:kms/key:Key");
        assert.deepStrictEqual(
            keys.map((k) => [k.name, k.inputs.enableKeyRotation]),
            [
                ["secrets-dev", true],
                ["secrets-prod", true],
            ],
        );
        assert.deepStrictEqual(
            ofType(doc, "aws:kms/alias:Alias").map((a) => a.inputs.name),
            ["alias/private-app-state-dev", "alias/private-app-state-prod"],
        );
    });

    it("outputs the repository variables the workflows read", () => {
        const vars = doc.outputs.repositoryVariables as Record<string, string>;
        assert.strictEqual(vars.AWS_REGION, "eu-west-1");
        assert.match(vars.PULUMI_BACKEND_URL, /^s3:\/\/.+\?region=eu-west-1$/);
        const roles = JSON.parse(vars.AWS_ROLES);
        assert.deepStrictEqual(Object.keys(roles), ["dev", "prod"]);
        assert.deepStrictEqual(Object.keys(roles.prod), ["preview", "drift", "deploy"]);
        assert.match(roles.prod.deploy, /:role\/private-app-prod-deploy$/);
        assert.deepStrictEqual(doc.outputs.secretsProviders, {
            dev: "awskms://alias/private-app-state-dev?region=eu-west-1",
            prod: "awskms://alias/private-app-state-prod?region=eu-west-1",
        });
    });

    it("with Pulumi Cloud and an existing provider: roles only", async () => {
        const file = tempBootstrapStack({
            "aws:region": "us-east-1",
            "private-app-bootstrap:github": {
                repository: "acme/app",
                existingOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            },
            "private-app-bootstrap:stacks": { staging: {} },
            "private-app-bootstrap:backend": { kind: "pulumi-cloud" },
        });
        const { doc: other, result } = await planJson(file, ["--program", "bootstrap/index.ts"]);
        assert.strictEqual(result.code, 0, result.stderr);
        const types = [...new Set(other.resources.map((r) => r.type))].sort();
        assert.deepStrictEqual(types, [
            "aws:iam/role:Role",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "pulumi:pulumi:Stack",
        ]);
        const trust = ofType(other, "aws:iam/role:Role").map((r) => JSON.parse(r.inputs.assumeRolePolicy as string));
        assert.ok(
            trust.every(
                (t) =>
                    t.Statement[0].Principal.Federated ===
                    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            ),
        );
        assert.strictEqual((other.outputs.repositoryVariables as Record<string, string>).PULUMI_BACKEND_URL, undefined);
    });

    it("a wildcard repository is a configuration error (exit 2) naming the key; nothing declared", async () => {
        const file = tempBootstrapStack({
            "aws:region": "eu-west-1",
            "private-app-bootstrap:github": { repository: "example-org/*" },
            "private-app-bootstrap:stacks": { dev: {} },
        });
        const r = await planCli([file, "--program", "bootstrap/index.ts"]);
        assert.strictEqual(r.code, 2, r.stderr);
        assert.match(r.stderr, /^private-app-bootstrap:github\.repository: got "example-org\/\*"/m);
    });
});
