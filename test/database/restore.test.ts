/**
 * A restored database keeps every guarantee of a new one (issue 14, item 1). For each engine, a
 * stack restored from a snapshot and one restored to a point in time are planned through
 * `npm run plan --json` (the real program, config and policy pack), beside the same stack
 * without a restore (same stack name, so the mocks give the same ids): everything but the
 * database resource itself is identical, and the database differs only by its restore
 * arguments and by leaving the master user and database name to the source. Then the
 * invariants on the restored database itself, and the config errors through the CLI.
 */
import { strict as assert } from "assert";
import { DatabaseEngine } from "../../lib/database-plan";
import { formatPlan } from "../../tools/format-plan";
import type { PlanDocument } from "../../tools/run-plan";
import { CliResult, planCli, tempStackFile } from "../support/plan-cli";

type Res = PlanDocument["resources"][number];
type Stage = "dev" | "prod";

const KMS = "arn:aws:kms:eu-west-1:123456789012:key/0b6c1f2e-3d4c-4b5a-9e8f-7a6b5c4d3e2f";
const PAST = "2026-11-30T21:15:00Z";

interface Engine {
    engine: DatabaseEngine;
    /** The stack name: the restore stacks and their baseline share it. */
    stack: string;
    /** The stage this engine's stacks are planned at (both stages are covered). */
    stage: Stage;
    snapshot: string;
    pointInTime: { source: string; time: string };
    /** The provider argument the point in time names its source with. */
    sourceField: string;
}

const ENGINES: Engine[] = [
    {
        engine: "postgres",
        stack: "drill-pg",
        stage: "prod",
        snapshot: "arn:aws:rds:eu-west-1:123456789012:snapshot:private-app-prod-db-final-1a2b3c4d",
        pointInTime: { source: "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", time: PAST },
        sourceField: "sourceDbiResourceId",
    },
    {
        engine: "aurora-postgresql",
        stack: "drill-aurora",
        stage: "dev",
        snapshot: "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:private-app-prod-db-final-1a2b3c4d",
        pointInTime: { source: "private-app-prod-db", time: "latest" },
        sourceField: "sourceClusterIdentifier",
    },
    {
        engine: "aurora-serverless",
        stack: "drill-sls",
        stage: "prod",
        snapshot: "rds:private-app-prod-db-2026-12-01-03-05",
        pointInTime: { source: "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", time: PAST },
        sourceField: "sourceClusterResourceId",
    },
];

type Variant = "baseline" | "snapshot" | "pointInTime";
const VARIANTS: Variant[] = ["baseline", "snapshot", "pointInTime"];

function stackFile(e: Engine, variant: Variant): string {
    const prod = e.stage === "prod";
    const restore =
        variant === "baseline"
            ? undefined
            : {
                  ...(variant === "snapshot" ? { fromSnapshot: e.snapshot } : { pointInTime: e.pointInTime }),
                  // A long-lived-looking stack (deletion protection on) confirms with its name.
                  ...(prod ? { confirmStack: e.stack } : {}),
              };
    return tempStackFile(e.stack, {
        "aws:region": "eu-west-1",
        "private-app:database": {
            engine: e.engine,
            deletionProtection: prod,
            multiAz: prod,
            kmsKeyArn: KMS,
            ...(restore ? { restore } : {}),
        },
        "private-app:compute": { mode: "lambda" },
    });
}

async function inBatches<T, R>(xs: readonly T[], size: number, f: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < xs.length; i += size) out.push(...(await Promise.all(xs.slice(i, i + size).map(f))));
    return out;
}

const DB_TYPES = ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"];
const isDb = (r: Res) => DB_TYPES.includes(r.type);

describe("database.restore: a restored database keeps every guarantee of a new one (npm run plan)", function () {
    this.timeout(300_000);
    const plans = new Map<string, { doc: PlanDocument; run: CliResult }>();
    const key = (e: Engine, v: Variant) => `${e.engine}/${v}`;

    before(async () => {
        const jobs = ENGINES.flatMap((e) => VARIANTS.map((v) => ({ e, v })));
        await inBatches(jobs, 3, async ({ e, v }) => {
            const run = await planCli([stackFile(e, v), "--json"]);
            assert.ok(run.code === 0 || run.code === 1, `${key(e, v)} exited ${run.code}:\n${run.stderr}`);
            plans.set(key(e, v), { doc: JSON.parse(run.stdout) as PlanDocument, run });
        });
    });

    for (const e of ENGINES) {
        for (const variant of ["snapshot", "pointInTime"] as const) {
            describe(`${e.engine} restored ${variant === "snapshot" ? "from a snapshot" : "to a point in time"} (${e.stage} stage)`, () => {
                const doc = () => plans.get(key(e, variant))!.doc;
                const run = () => plans.get(key(e, variant))!.run;
                const baseline = () => plans.get(key(e, "baseline"))!.doc;
                const db = () => doc().resources.filter(isDb);
                const byId = (id: unknown) => doc().resources.find((r) => r.id !== null && r.id === id);
                const named = (type: string, name: string) =>
                    doc().resources.find((r) => r.type === type && r.name === name);

                it("passes every mandatory policy (exit 0)", () => {
                    assert.equal(run().code, 0, run().stderr);
                    assert.deepEqual(
                        doc().violations.filter((v) => v.enforcementLevel === "mandatory"),
                        [],
                    );
                });

                it("creates the database from the source, and nothing else changes from a new stack's plan", () => {
                    const [restored] = db();
                    assert.equal(db().length, 1);
                    const i = restored.inputs;
                    if (variant === "snapshot") {
                        assert.equal(i.snapshotIdentifier, e.snapshot);
                        assert.equal(i.restoreToPointInTime, undefined);
                    } else {
                        const p = i.restoreToPointInTime as Record<string, unknown>;
                        assert.equal(p[e.sourceField], e.pointInTime.source);
                        if (e.pointInTime.time === "latest") assert.equal(p.useLatestRestorableTime, true);
                        else assert.equal(p[e.engine === "postgres" ? "restoreTime" : "restoreToTime"], PAST);
                        if (e.engine !== "postgres") assert.equal(p.restoreType, "full-copy");
                        assert.equal(i.snapshotIdentifier, undefined);
                    }
                    // The new stack's database, minus what the source decides, plus the restore.
                    const fresh = baseline().resources.find(isDb)!;
                    const expected: Record<string, unknown> = { ...fresh.inputs };
                    for (const k of ["dbName", "username", "databaseName", "masterUsername"]) delete expected[k];
                    const restoreArgs = variant === "snapshot" ? "snapshotIdentifier" : "restoreToPointInTime";
                    assert.deepEqual({ ...i, [restoreArgs]: undefined }, { ...expected, [restoreArgs]: undefined });
                    assert.deepEqual(restored.options, fresh.options);
                    // Every other resource: same URNs, same inputs, same options.
                    const rest = (d: PlanDocument) =>
                        d.resources
                            .filter((r) => !isDb(r))
                            .map((r) => ({ ...r, inputs: r.inputs, options: r.options }));
                    assert.deepEqual(rest(doc()), rest(baseline()));
                });

                it("is private, in the isolated subnets, behind its own security group", () => {
                    const i = db()[0].inputs;
                    // Groups are named by their physical names (`<logical name>-<7 hex>` in the mocks).
                    const group = named("aws:rds/subnetGroup:SubnetGroup", "db-subnets");
                    assert.ok(group);
                    assert.match(String(i.dbSubnetGroupName), /^db-subnets-[0-9a-f]{7}$/);
                    const subnets = (group.inputs.subnetIds as string[]).map((id) => byId(id));
                    assert.ok(subnets.length >= 2);
                    for (const s of subnets)
                        assert.equal((s?.inputs.tags as Record<string, string>)["private-app:tier"], "isolated");
                    const sgs = i.vpcSecurityGroupIds as string[];
                    assert.deepEqual(
                        sgs.map((id) => byId(id)?.name),
                        ["db-sg"],
                    );
                    if (e.engine === "postgres") assert.equal(i.publiclyAccessible, false);
                    const instances = doc().resources.filter(
                        (r) => r.type === "aws:rds/clusterInstance:ClusterInstance",
                    );
                    assert.equal(instances.length, e.engine === "postgres" ? 0 : e.stage === "prod" ? 2 : 1);
                    for (const ci of instances) assert.equal(ci.inputs.publiclyAccessible, false);
                    // Port 5432 from security groups only, never a CIDR.
                    const ingress = doc().resources.filter(
                        (r) =>
                            r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
                            r.inputs.securityGroupId === sgs[0],
                    );
                    assert.ok(ingress.length > 0);
                    for (const rule of ingress) {
                        assert.equal(rule.inputs.fromPort, 5432);
                        assert.equal(rule.inputs.cidrIpv4, undefined);
                        assert.ok(byId(rule.inputs.referencedSecurityGroupId), "a group of the stack");
                    }
                });

                it("is encrypted with the stack's key, with an RDS-managed master secret and TLS enforced", () => {
                    const i = db()[0].inputs;
                    assert.equal(i.storageEncrypted, true);
                    assert.equal(i.kmsKeyId, KMS);
                    assert.equal(i.manageMasterUserPassword, true);
                    assert.equal(i.masterUserSecretKmsKeyId, KMS);
                    assert.equal(i.password, undefined);
                    const params =
                        e.engine === "postgres"
                            ? named("aws:rds/parameterGroup:ParameterGroup", "db-params")
                            : named("aws:rds/clusterParameterGroup:ClusterParameterGroup", "db-cluster-params");
                    assert.ok(params);
                    assert.match(
                        String(i[e.engine === "postgres" ? "parameterGroupName" : "dbClusterParameterGroupName"]),
                        new RegExp(`^${params.name}-[0-9a-f]{7}$`),
                    );
                    const forceSsl = (params.inputs.parameters as { name: string; value: string }[]).find(
                        (p) => p.name === "rds.force_ssl",
                    );
                    assert.equal(forceSsl?.value, "1");
                });

                it("has the alarms of a new database", () => {
                    const alarms = (d: PlanDocument) =>
                        d.resources
                            .filter(
                                (r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.startsWith("db-"),
                            )
                            .map((r) => r.name)
                            .sort();
                    assert.ok(alarms(doc()).length >= 3, alarms(doc()).join(", "));
                    assert.deepEqual(alarms(doc()), alarms(baseline()));
                });

                it(`is protected as the ${e.stage} stage says, and its restore arguments act only at creation`, () => {
                    const prod = e.stage === "prod";
                    for (const r of [
                        ...db(),
                        ...doc().resources.filter((x) => x.type === "aws:rds/clusterInstance:ClusterInstance"),
                    ]) {
                        assert.equal(r.options?.protect, prod ? true : undefined, `${r.name} protect`);
                    }
                    const i = db()[0].inputs;
                    assert.equal(i.deletionProtection, prod);
                    assert.equal(i.skipFinalSnapshot, !prod);
                    assert.deepEqual(db()[0].options?.ignoreChanges, ["snapshotIdentifier", "restoreToPointInTime"]);
                });

                it("says so loudly: a warning on stderr and RESTORED in the text plan", () => {
                    assert.match(
                        run().stderr,
                        /^warning: .*RESTORE: database private-app-drill-[a-z]+-db is created from /m,
                    );
                    assert.match(run().stderr, /On a stack whose database exists this REPLACES it/);
                    const text = formatPlan(doc(), {
                        custom: new Set(
                            doc()
                                .resources.filter((r) => r.id !== null)
                                .map((r) => r.urn),
                        ),
                    });
                    const line = text
                        .split("\n")
                        .find((l) => /aws:rds\/(instance:Instance|cluster:Cluster) {2}db /.test(l));
                    assert.match(line ?? "", /RESTORED FROM /);
                });
            });
        }
        it(`${e.engine}: the new stack's plan has no restore and no warning`, () => {
            const { doc, run } = plans.get(key(e, "baseline"))!;
            const fresh = doc.resources.find(isDb)!;
            assert.equal(fresh.inputs.snapshotIdentifier, undefined);
            assert.equal(fresh.inputs.restoreToPointInTime, undefined);
            assert.doesNotMatch(run.stderr, /RESTORE/);
        });
    }
});

describe("database.restore: config errors through npm run plan (exit 2, the key named)", function () {
    this.timeout(120_000);
    const runs = new Map<string, CliResult>();
    const config = (restore: unknown, more: Record<string, unknown> = {}) => ({
        "aws:region": "eu-west-1",
        "private-app:database": { engine: "postgres", restore, ...more },
        "private-app:compute": { mode: "lambda" },
    });
    before(async () => {
        const cases: [string, string][] = [
            // A stack named prod, without the confirmation, restored to a time in the future.
            [
                "prod",
                tempStackFile(
                    "prod",
                    config(
                        { pointInTime: { source: "private-app-prod-old-db", time: "2999-01-01T00:00:00Z" } },
                        { deletionProtection: false },
                    ),
                ),
            ],
            // A new stack restoring an Aurora cluster snapshot into an RDS instance.
            [
                "kind",
                tempStackFile(
                    "drill",
                    config(
                        { fromSnapshot: "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:prod-final" },
                        { deletionProtection: false },
                    ),
                ),
            ],
        ];
        await Promise.all(cases.map(async ([k, file]) => runs.set(k, await planCli([file, "--json"]))));
    });

    const lines = (r: CliResult) => r.stderr.split("\n").filter((l) => l.startsWith("private-app:"));

    it("a restore on a stack that looks long-lived without confirmStack, and a time in the future", () => {
        const r = runs.get("prod")!;
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        const found = lines(r);
        assert.equal(found.length, 2, r.stderr);
        assert.match(
            found[0],
            /^private-app:database\.restore\.pointInTime\.time: got "2999-01-01T00:00:00Z"; is in the future/,
        );
        assert.match(
            found[1],
            /^private-app:database\.restore\.confirmStack: got nothing \(unset\); a restore is for a new stack, and this one looks long-lived: the stack is named prod.*Fix: .*confirmStack to prod/,
        );
        assert.doesNotMatch(r.stderr, /\s+at \S+ \(/, "no stack trace");
    });

    it("an identifier of the wrong kind", () => {
        const r = runs.get("kind")!;
        assert.equal(r.code, 2, r.stderr);
        assert.deepEqual(
            lines(r).map((l) => l.slice(0, l.indexOf(": got"))),
            ["private-app:database.restore.fromSnapshot"],
        );
        assert.match(lines(r)[0], /is an Aurora cluster snapshot; engine postgres restores an RDS instance/);
    });
});
