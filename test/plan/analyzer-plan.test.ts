/**
 * The offline plan through the pack's real analyzer (issue 15) and the resource options it records
 * (issue 8, item 7): secrets seen by policies but never printed, `--first-preview`, options in the
 * JSON and the text plan, duplicate URNs, and a differential check of the analyzer's launch modes.
 * Each plan runs in its own process, as a user runs it.
 */
import * as assert from "assert";
import type { PlanDocument } from "../../tools/run-plan";
import { Analyzer } from "../../policy-pack/engine/analyzer";
import { evaluate, PlannedResource } from "../../policy-pack/evaluate";
import { hostileResources } from "../fixtures/hostile-resources";
import { CliResult, planCli, planJson as planJsonUncached, tempStackFile } from "../support/plan-cli";

type Doc = PlanDocument;

/** Each plan once per file: several tests read the same documents. */
const plans = new Map<string, ReturnType<typeof planJsonUncached>>();
function planJson(stack: string, extra: string[] = []): ReturnType<typeof planJsonUncached> {
    const key = [stack, ...extra].join(" ");
    if (!plans.has(key)) plans.set(key, planJsonUncached(stack, extra));
    return plans.get(key)!;
}
const HOSTILE = "test/fixtures/hostile-program.ts";

/** The mandatory findings as `policy resource-name` lines, sorted. */
const mandatory = (doc: Doc) =>
    doc.violations
        .filter((v) => v.enforcementLevel === "mandatory")
        .map((v) => `${v.policy} ${v.resource?.split("::").pop() ?? "(stack)"}`)
        .sort();

const planned = (doc: Doc): PlannedResource[] =>
    doc.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, id: r.id, parent: r.parent, props: r.inputs }));

const byName = (doc: Doc, name: string) =>
    doc.resources.find((r) => r.name === name) ?? assert.fail(`no resource ${name}`);

describe("the plan through the real analyzer", () => {
    describe("secrets: policies see real values, the plan prints [secret] (test/fixtures/secret-program.ts)", () => {
        let doc: Doc;
        let result: CliResult;
        before(async () => ({ doc, result } = await planJson("dev", ["--program", "test/fixtures/secret-program.ts"])));

        it("exits 1 on the secret-wrapped password and the secret-wrapped publiclyAccessible", () => {
            assert.strictEqual(result.code, 1, result.stderr);
            assert.deepStrictEqual(mandatory(doc), [
                "no-plaintext-secrets-in-env leaky-fn",
                "rds-not-publicly-accessible secret-public-db",
            ]);
        });
        it("does not flag a secret-wrapped ARN", () => {
            assert.ok(!doc.violations.some((v) => v.resource?.endsWith("::arn-fn")), JSON.stringify(doc.violations));
        });
        it("never prints a secret value", () => {
            assert.ok(!result.stdout.includes("hunter2") && !result.stderr.includes("hunter2"));
            assert.strictEqual(byName(doc, "leaky-fn").inputs.environment, "[secret]");
            assert.strictEqual(byName(doc, "secret-public-db").inputs.publiclyAccessible, "[secret]");
        });
    });

    describe("--first-preview", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: exits 0 with the same mandatory result as the normal plan; ids unknown`, async () => {
                const [normal, first] = await Promise.all([planJson(stack), planJson(stack, ["--first-preview"])]);
                assert.strictEqual(first.result.code, 0, first.result.stdout.slice(-2000));
                assert.deepStrictEqual(mandatory(first.doc), mandatory(normal.doc));
                assert.ok(
                    first.doc.resources.every((r) => r.id === null),
                    "every id unknown",
                );
                assert.deepStrictEqual(
                    first.doc.resources.map((r) => r.urn).sort(),
                    normal.doc.resources.map((r) => r.urn).sort(),
                );
            });
        }
        // Every engine, and the bastion (an EC2 instance whose subnet id is unknown: the IMDSv2
        // remediation must run, not fail), with the pack's default config.
        for (const [title, database] of [
            ["postgres with a bastion", { engine: "postgres", bastion: true, deletionProtection: false }],
            ["aurora-postgresql, Multi-AZ", { engine: "aurora-postgresql", multiAz: true, deletionProtection: true }],
            [
                "aurora-serverless behind a proxy, with a bastion",
                { engine: "aurora-serverless", proxy: true, bastion: true, iamAuth: false, deletionProtection: false },
            ],
        ] as const) {
            it(`${title}: exits 0 with no mandatory violation; the bastion passes IMDSv2 (no can't-run)`, async () => {
                const file = tempStackFile("engine", {
                    "aws:region": "eu-west-1",
                    "private-app:network": { azCount: 2, natGateways: "single" },
                    "private-app:compute": { mode: "lambda" },
                    "private-app:database": database,
                });
                const { doc, result } = await planJsonUncached(file, ["--first-preview"]);
                assert.strictEqual(result.code, 0, JSON.stringify(doc.violations, null, 1));
                assert.deepStrictEqual(mandatory(doc), []);
                const imds = doc.violations.filter((v) => v.policy === "ec2-imdsv2-required");
                if ("bastion" in database) {
                    assert.deepStrictEqual(
                        imds.map((v) => v.enforcementLevel),
                        [],
                        "the bastion sets httpTokens itself; no remediation, no can't-run",
                    );
                }
            });
        }
        it("the hostile program: exits 1 naming the same mandatory policies and resources", async () => {
            const [normal, first] = await Promise.all([
                planJson("dev", ["--program", HOSTILE]),
                planJson("dev", ["--program", HOSTILE, "--first-preview"]),
            ]);
            assert.strictEqual(normal.result.code, 1);
            assert.strictEqual(first.result.code, 1);
            assert.deepStrictEqual(mandatory(first.doc), mandatory(normal.doc));
            assert.ok(mandatory(first.doc).includes("db-subnet-group-not-public bad-subnet-group"));
        });
    });

    describe("resource options (issue 8, item 7)", () => {
        let doc: Doc;
        before(async () => ({ doc } = await planJson("prod")));

        it("prod: the database is protected", () => {
            const db = doc.resources.find((r) => r.type === "aws:rds/instance:Instance") ?? assert.fail("no instance");
            assert.strictEqual(db.options?.protect, true);
        });
        it("records dependsOn as URNs of resources of the plan, never the inputs' own dependencies", () => {
            const urns = new Set(doc.resources.map((r) => r.urn));
            const withDeps = doc.resources.filter((r) => r.options?.dependsOn);
            assert.ok(withDeps.length > 0, "some resource waits on another");
            for (const r of withDeps) for (const u of r.options!.dependsOn!) assert.ok(urns.has(u), `${r.name}: ${u}`);
            // The app (the API function, or the ECS service) is updated only after the migrations ran.
            const api = doc.resources.find(
                (r) =>
                    (r.type === "aws:lambda/function:Function" && r.name.endsWith("-api")) ||
                    r.type === "aws:ecs/service:Service",
            );
            const invocation = doc.resources.find((r) => r.type === "aws:lambda/invocation:Invocation");
            assert.ok(api && invocation, "the app and the migration invocation");
            assert.ok(api.options?.dependsOn?.includes(invocation.urn), JSON.stringify(api.options));
        });
        it("leaves options out when none is set, and never records empty ones", () => {
            assert.ok(doc.resources.some((r) => r.options === undefined));
            for (const r of doc.resources) {
                for (const [k, v] of Object.entries(r.options ?? {})) {
                    assert.ok(!(Array.isArray(v) && v.length === 0), `${r.name}.${k} is empty`);
                }
            }
        });
    });

    it("fails as the engine does on two resources with the same URN (exit 3)", async () => {
        const r = await planCli(["dev", "--program", "test/fixtures/duplicate-urn-program.ts"]);
        assert.strictEqual(r.code, 3, r.stderr);
        assert.match(
            r.stderr,
            /two resources have the same URN.*Duplicate resource URN.*TopicSubscription::alarms-ops/s,
        );
    });

    describe("differential: the analyzer as the CLI starts it (ts-node, type checked) and as the plan starts it", () => {
        let cli: Analyzer;
        before(async function () {
            this.timeout(120_000);
            cli = await Analyzer.start({ typeCheck: true });
        });
        after(() => cli?.close());

        const cases: [string, () => Promise<{ resources: PlannedResource[]; config?: Record<string, unknown> }>][] = [
            ["the hostile resources", async () => ({ resources: hostileResources })],
            [
                "the hostile program",
                async () => ({ resources: planned((await planJson("dev", ["--program", HOSTILE])).doc) }),
            ],
            [
                "dev",
                async () => ({
                    resources: planned((await planJson("dev")).doc),
                    config: require("../../policy-pack/config/dev.json"), // eslint-disable-line @typescript-eslint/no-require-imports
                }),
            ],
            [
                "prod",
                async () => ({
                    resources: planned((await planJson("prod")).doc),
                    config: require("../../policy-pack/config/prod.json"), // eslint-disable-line @typescript-eslint/no-require-imports
                }),
            ],
        ];
        for (const [label, load] of cases) {
            it(`${label}: identical violations`, async () => {
                const { resources, config } = await load();
                const viaPlan = await evaluate(resources, config);
                const viaCli = await evaluate(resources, config, { analyzer: cli });
                assert.deepStrictEqual(viaCli, viaPlan);
            });
        }
    });
});
