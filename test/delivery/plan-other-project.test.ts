/**
 * `npm run plan -- <dir>/Pulumi.<stack>.yaml` for a stack file of another Pulumi project in
 * the repository (bootstrap/ is one): the project beside the stack file gives the namespace,
 * the defaults and the program; the root program's config validation does not apply to it.
 */
import * as assert from "assert";
import * as path from "path";
import { loadStack } from "../../tools/stack-files";
import { planCli, planJson, ROOT } from "../support/plan-cli";

const DIR = "test/delivery/fixtures/other-project";

describe("planning a stack of another project (tools/stack-files.ts, tools/run-plan.ts)", () => {
    it("reads the stack file with the Pulumi.yaml beside it: its name, namespace and defaults", () => {
        const s = loadStack(ROOT, `${DIR}/Pulumi.test.yaml`);
        assert.strictEqual(s.project, "other-project");
        assert.strictEqual(s.projectDir, path.join(ROOT, DIR));
        assert.strictEqual(s.name, "test");
        assert.strictEqual(s.config["other-project:bucketPrefix"], "logs");
        assert.strictEqual(s.config["other-project:retentionDays"], "7");
    });

    it("a root stack keeps the root project", () => {
        const s = loadStack(ROOT, "dev");
        assert.strictEqual(s.project, "private-app");
        assert.strictEqual(s.projectDir, ROOT);
    });

    it("plans that project's own index.ts under its own project name, with the policies", async () => {
        const { doc, result } = await planJson(`${DIR}/Pulumi.test.yaml`);
        assert.strictEqual(result.code, 0, result.stderr);
        assert.strictEqual(doc.stack, "test");
        const bucket = doc.resources.find((r) => r.type === "aws:s3/bucket:Bucket");
        assert.ok(bucket, "the project's bucket is planned");
        assert.match(bucket.urn, /^urn:pulumi:test::other-project::.*aws:s3\/bucket:Bucket::logs$/);
        assert.deepStrictEqual(bucket.inputs.bucketPrefix, "logs-");
        assert.strictEqual(doc.outputs.project, "other-project");
        assert.strictEqual(doc.outputs.retention, 7);
        assert.deepStrictEqual(
            doc.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
    });

    it("that program's own config error is exit 2 with its problem line, no stack trace", async () => {
        const r = await planCli([`${DIR}/Pulumi.bad.yaml`]);
        assert.strictEqual(r.code, 2, r.stderr);
        assert.match(r.stderr, /^other-project:bucketPrefix: got "Not A Prefix"/m);
        assert.doesNotMatch(r.stderr, /private-app:database/);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
});
