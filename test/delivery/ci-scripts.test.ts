/**
 * The small scripts the workflows run (.github/scripts/): the drift report, the check of the
 * repository variables, and which stacks need a container image.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/plan-cli";

/* eslint-disable @typescript-eslint/no-require-imports */
const drift = require("../../.github/scripts/drift-report.js") as {
    driftedResources(preview: unknown, status?: number): { op: string; type: string; name: string; keys: string[] }[];
    report(text: string, stack: string, status: number): { lines: string[]; summary: string; code: number };
};
const variables = require("../../.github/scripts/check-variables.js") as {
    problems(env: Record<string, string | undefined>): string[];
};
const images = require("../../.github/scripts/image-config.js") as {
    imageConfigPath(root: string, stack: string): string | null;
    outputs(root: string, stacks: string[]): string[];
};
/* eslint-enable @typescript-eslint/no-require-imports */

const URN = (type: string, name: string) =>
    `urn:pulumi:prod::private-app::private-app:database:Database$${type}::${name}`;
const PREVIEW = {
    steps: [
        { op: "same", urn: "urn:pulumi:prod::private-app::pulumi:pulumi:Stack::private-app-prod" },
        { op: "same", urn: URN("aws:ec2/vpc:Vpc", "net-vpc") },
        {
            op: "update",
            urn: URN("aws:ec2/securityGroup:SecurityGroup", "db-sg"),
            diffReasons: ["ingress"],
            detailedDiff: { "ingress[1]": { kind: "delete" } },
        },
        { op: "create", urn: URN("aws:rds/instance:Instance", "db") },
        { op: "read", urn: URN("aws:ec2/getVpc:getVpc", "lookup") },
    ],
    changeSummary: { same: 2, update: 1, create: 1 },
};

describe("CI scripts (.github/scripts)", () => {
    describe("drift-report.js", () => {
        it("names every resource that would change, with the properties that drifted", () => {
            assert.deepStrictEqual(
                drift.driftedResources(PREVIEW).map((d) => [d.op, d.type, d.name, d.keys]),
                [
                    ["update", "aws:ec2/securityGroup:SecurityGroup", "db-sg", ["ingress", "ingress[1]"]],
                    ["create", "aws:rds/instance:Instance", "db", []],
                ],
            );
            const r = drift.report(JSON.stringify(PREVIEW), "prod", 255);
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(r.lines, [
                "::error title=Drift in prod::update aws:ec2/securityGroup:SecurityGroup db-sg (ingress, ingress[1])",
                "::error title=Drift in prod::create aws:rds/instance:Instance db",
            ]);
            assert.match(r.summary, /2 resource\(s\) differ/);
            assert.match(
                r.summary,
                /\| update \| `aws:ec2\/securityGroup:SecurityGroup` \| `db-sg` \| ingress, ingress\[1\] \|/,
            );
        });

        it("no drift: exit 0", () => {
            const r = drift.report(JSON.stringify({ steps: PREVIEW.steps.slice(0, 2) }), "dev", 0);
            assert.deepStrictEqual([r.code, r.lines], [0, ["no drift in dev"]]);
        });

        it("a failed expectation with only refresh changes names the refreshed resources", () => {
            const refreshed = {
                steps: [
                    { op: "same", urn: URN("aws:ec2/vpc:Vpc", "net-vpc") },
                    { op: "refresh", urn: URN("aws:lambda/function:Function", "app-api") },
                ],
            };
            assert.deepStrictEqual(drift.report(JSON.stringify(refreshed), "dev", 255).lines, [
                "::error title=Drift in dev::refresh aws:lambda/function:Function app-api",
            ]);
            assert.strictEqual(
                drift.report(JSON.stringify(refreshed), "dev", 0).code,
                0,
                "a refresh alone is no drift",
            );
        });

        it("a failed preview is not reported as drift: exit 2 with the error", () => {
            const failed = {
                steps: [],
                diagnostics: [{ severity: "error", message: "AccessDenied: not authorized\n" }],
            };
            const r = drift.report(JSON.stringify(failed), "dev", 255);
            assert.strictEqual(r.code, 2);
            assert.deepStrictEqual(r.lines, ["::error title=Drift check of dev failed::AccessDenied: not authorized"]);
            assert.strictEqual(drift.report("", "dev", 255).code, 2);
        });

        it("as a command: annotations on stdout, the table in the job summary, exit 1", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-"));
            fs.writeFileSync(path.join(dir, "preview.json"), JSON.stringify(PREVIEW));
            const summary = path.join(dir, "summary.md");
            const r = spawnSync(
                process.execPath,
                [".github/scripts/drift-report.js", path.join(dir, "preview.json"), "prod", "255"],
                {
                    cwd: ROOT,
                    encoding: "utf8",
                    env: { ...process.env, GITHUB_STEP_SUMMARY: summary },
                },
            );
            assert.strictEqual(r.status, 1, r.stderr);
            assert.match(r.stdout, /^::error title=Drift in prod::update .* db-sg/m);
            assert.match(fs.readFileSync(summary, "utf8"), /### Drift in `prod`/);
        });
    });

    describe("check-variables.js", () => {
        const roles = JSON.stringify({ dev: { preview: "arn:aws:iam::123456789012:role/private-app-dev-preview" } });
        it("passes with the region and the stack's role", () => {
            assert.deepStrictEqual(
                variables.problems({ STACK: "dev", PURPOSE: "preview", AWS_REGION: "eu-west-1", AWS_ROLES: roles }),
                [],
            );
        });
        it("says which variable is missing or wrong", () => {
            assert.deepStrictEqual(
                variables
                    .problems({ STACK: "prod", PURPOSE: "deploy", AWS_ROLES: roles, PULUMI_BACKEND_URL: "file:///tmp" })
                    .map((p) => p.split(";")[0]),
                [
                    "repository variable AWS_REGION is not set",
                    "repository variable AWS_ROLES has no deploy role for the stack prod",
                    "repository variable PULUMI_BACKEND_URL must be an s3://bucket URL (or unset for Pulumi Cloud)",
                ],
            );
            assert.match(
                variables.problems({ STACK: "dev", PURPOSE: "preview", AWS_REGION: "x", AWS_ROLES: "{" })[0],
                /not JSON/,
            );
        });
    });

    describe("image-config.js", () => {
        function root(modes: Record<string, string>): string {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modes-"));
            for (const [stack, mode] of Object.entries(modes))
                fs.writeFileSync(
                    path.join(dir, `Pulumi.${stack}.yaml`),
                    `config:\n  private-app:compute:\n    mode: ${mode}\n`,
                );
            return dir;
        }
        it("the committed stacks: dev runs lambda (no image), prod runs ecs (compute.ecs.image)", () => {
            assert.deepStrictEqual(images.outputs(ROOT, ["dev", "prod"]), [
                "dev=",
                "prod=compute.ecs.image",
                "needs-image=true",
            ]);
        });
        it("ecs takes the image by config; ec2 runs the server bundle (no image); any ecs stack needs the image job", () => {
            const dir = root({ dev: "lambda", prod: "ecs", edge: "ec2" });
            assert.deepStrictEqual(images.outputs(dir, ["dev", "prod", "edge"]), [
                "dev=",
                "prod=compute.ecs.image",
                "edge=",
                "needs-image=true",
            ]);
            assert.deepStrictEqual(images.outputs(dir, ["dev", "edge"]), ["dev=", "edge=", "needs-image=false"]);
        });
        it("an unknown mode or a bad stack name is an error naming it", () => {
            assert.throws(() => images.imageConfigPath(root({ dev: "k8s" }), "dev"), /compute.mode is "k8s"/);
            assert.throws(() => images.imageConfigPath(ROOT, "../x"), /not a stack name/);
        });
    });
});
