/**
 * The planned task definition really starts the app.
 *
 * Plans an ecs stack with password auth (the path a test can run: IAM auth needs real RDS
 * tokens), takes the container's `environment` and `secrets` from the planned task definition,
 * resolves every secret reference (the task's `secrets`, and the `DB_SECRET_ARN` the app reads
 * at run time with its task role) through this test's fake secret source, and starts the real
 * server bundle (`bundleServer()`, what app/Dockerfile ships) with exactly that environment
 * against the test PostgreSQL; then liveness, readiness and a notes round trip.
 *
 * What differs from ECS, and only that: the database's address (DB_HOST, DB_PORT point at the
 * test server, which has no TLS, hence DB_SSL=disable, accepted for loopback hosts only), the
 * listening port (a free one on this shared machine instead of 8080), and what ECS itself
 * injects for the AWS SDK (credentials; here the Secrets Manager endpoint is the fake one).
 */
import * as assert from "assert";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleServer } from "../../app/build";
import { ENV, HEALTH_PATHS } from "../../app/contract";
import { planJson, tempStackFile } from "../support/plan-cli";
import { fakeSecretsManager, freePort, migratedDatabase, stopServer, waitFor } from "../support/fake-secrets-manager";
import { usePostgres } from "../support/postgres";

const MASTER = "task_master";
const MASTER_PASSWORD = "task-master-Pa55word";
const APP_PASSWORD = "task-app-user-Pa55word-0001";

interface Container {
    environment: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
}

/** ECS `valueFrom`: `<secret arn>` or `<secret arn>:<json key>:<version stage>:<version id>`. */
function resolveValueFrom(valueFrom: string, secrets: Map<string, string>): string {
    const m = /^(arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^:]+)(?::([^:]*):([^:]*):([^:]*))?$/.exec(valueFrom);
    assert.ok(m, `valueFrom is a Secrets Manager reference: ${valueFrom}`);
    const secret = secrets.get(m[1]!);
    assert.ok(secret !== undefined, `the fake source holds ${m[1]}`);
    return m[2] ? String((JSON.parse(secret) as Record<string, unknown>)[m[2]]) : secret;
}

describe("ecs: the planned task definition starts the app", function () {
    this.timeout(120_000);
    const pg = usePostgres();
    let container: Container;
    let secretArn: string;
    let child: ChildProcess | undefined;
    let fake: Awaited<ReturnType<typeof fakeSecretsManager>> | undefined;
    let output = "";

    before(async () => {
        const file = tempStackFile("task", {
            "aws:region": "eu-west-1",
            "private-app:database": { engine: "postgres", iamAuth: false, deletionProtection: false },
            "private-app:compute": {
                mode: "ecs",
                ingress: "apiGateway",
                ecs: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/private-app:abc1234" },
            },
        });
        const { doc, result } = await planJson(file);
        assert.strictEqual(result.code, 0, result.stderr);
        const td = doc.resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
        [container] = JSON.parse(String(td.inputs.containerDefinitions)) as Container[];
        secretArn = container.environment.find((e) => e.name === ENV.DB_SECRET_ARN)?.value ?? "";
        assert.match(secretArn, /^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:/);

        // The database as the migrations leave it: schema, and app_user with the secret's password.
        const dbName = container.environment.find((e) => e.name === ENV.DB_NAME)!.value;
        await migratedDatabase(pg(), {
            master: MASTER,
            masterPassword: MASTER_PASSWORD,
            database: dbName,
            appUserPassword: APP_PASSWORD,
        });
    });

    after(() => stopServer(child, fake));

    it("answers liveness, readiness and a notes round trip with exactly that environment", async () => {
        // The fake secret source: the app user's secret, as the migrations set it.
        const source = new Map([[secretArn, JSON.stringify({ username: "app_user", password: APP_PASSWORD })]]);
        fake = await fakeSecretsManager(source);

        const env: Record<string, string> = {};
        for (const { name, value } of container.environment) env[name] = value;
        for (const s of container.secrets ?? []) env[s.name] = resolveValueFrom(s.valueFrom, source);
        const port = await freePort();
        Object.assign(env, {
            [ENV.DB_HOST]: "127.0.0.1",
            [ENV.DB_PORT]: String(pg().port),
            [ENV.DB_SSL]: "disable",
            [ENV.PORT]: String(port),
            // What ECS provides the SDK (task role credentials), and the fake endpoint.
            AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
            AWS_SECRET_ACCESS_KEY: "fake-secret-access-key",
            AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url,
        });
        assert.ok(!Object.keys(env).some((k) => /PASSWORD/.test(k)), "no password in the environment");

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-server-"));
        fs.writeFileSync(path.join(dir, "server.js"), bundleServer().code);
        child = spawn(process.execPath, ["server.js"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout!.on("data", (d) => (output += d));
        child.stderr!.on("data", (d) => (output += d));
        const base = `http://127.0.0.1:${port}`;
        await waitFor(`${base}${HEALTH_PATHS.liveness}`, 20_000).catch((e) => assert.fail(`${e}\n${output}`));

        const live = await fetch(`${base}${HEALTH_PATHS.liveness}`);
        assert.strictEqual(live.status, 200, output);
        assert.deepStrictEqual(await live.json(), { status: "ok" });
        const ready = await fetch(`${base}${HEALTH_PATHS.readiness}`);
        assert.strictEqual(ready.status, 200, output);
        assert.deepStrictEqual(await ready.json(), { status: "ok", database: "ok" });

        const text = `from the task definition ${Date.now()}`;
        const created = await fetch(`${base}/api/notes`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ text }),
        });
        assert.strictEqual(created.status, 201, output);
        const { id } = (await created.json()) as { id: number };
        const read = await fetch(`${base}/api/notes/${id}`);
        assert.strictEqual(read.status, 200);
        assert.strictEqual(((await read.json()) as { text: string }).text, text);
        assert.ok(fake.reads.includes(secretArn), "the app read its secret by ARN from the secret source");
    });
});
