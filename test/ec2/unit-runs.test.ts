/**
 * The planned instance really starts the app.
 *
 * Plans examples/Pulumi.ec2-alb.yaml (password auth: the path a test can run; IAM auth needs
 * real RDS tokens), decodes the launch template's user data, takes the systemd unit out of it
 * and parses its `Environment=` lines (so this test fails if the unit drifts from the
 * contract), checks that the server bundle built here is the planned object (its hash is the
 * object's key), and starts it with exactly that environment against the test PostgreSQL:
 * liveness and readiness answer.
 *
 * What differs from an instance, and only that: the database's address (DB_HOST, DB_PORT point
 * at the test server, which has no TLS, hence DB_SSL=disable, accepted for loopback hosts
 * only), the listening port (a free one on this shared machine instead of 8080), and what the
 * instance profile gives the AWS SDK through IMDS (credentials; here the Secrets Manager
 * endpoint is the fake one).
 */
import * as assert from "assert";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleServer } from "../../app/build";
import { ENV, HEALTH_PATHS } from "../../app/contract";
import { artifactKey } from "../../lib/ec2-plan";
import { unitEnvironment, unitOfUserData } from "../../lib/ec2-user-data";
import { fakeSecretsManager, freePort, migratedDatabase, stopServer, waitFor } from "../support/fake-secrets-manager";
import { planJson, ROOT } from "../support/plan-cli";
import { usePostgres } from "../support/postgres";

const MASTER = "ec2_master";
const MASTER_PASSWORD = "ec2-master-Pa55word";
const APP_PASSWORD = "ec2-app-user-Pa55word-0001";

describe("ec2: the planned unit starts the app", function () {
    this.timeout(120_000);
    const pg = usePostgres();
    let unitEnv: Record<string, string>;
    let objectKey: string;
    let child: ChildProcess | undefined;
    let fake: Awaited<ReturnType<typeof fakeSecretsManager>> | undefined;
    let output = "";

    before(async () => {
        const { doc, result } = await planJson(path.join(ROOT, "examples", "Pulumi.ec2-alb.yaml"));
        assert.strictEqual(result.code, 0, result.stderr);
        const lt = doc.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
        const script = Buffer.from(String(lt.inputs.userData), "base64").toString("utf8");
        unitEnv = unitEnvironment(unitOfUserData(script));
        objectKey = String(doc.resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!.inputs.key);

        // The database as the migrations leave it: schema, and app_user with the secret's password.
        await migratedDatabase(pg(), {
            master: MASTER,
            masterPassword: MASTER_PASSWORD,
            database: unitEnv[ENV.DB_NAME]!,
            appUserPassword: APP_PASSWORD,
        });
    });

    after(() => stopServer(child, fake));

    it("the unit's environment names the app user's secret by ARN, never a password", () => {
        assert.match(unitEnv[ENV.DB_SECRET_ARN] ?? "", /^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:/);
        assert.ok(!Object.keys(unitEnv).some((k) => /PASSWORD/.test(k)));
    });

    it("answers liveness and readiness, running the planned bundle with exactly that environment", async () => {
        const server = bundleServer();
        assert.strictEqual(artifactKey(server.sha256), objectKey, "the bundle built here is the planned object");
        const secretArn = unitEnv[ENV.DB_SECRET_ARN]!;
        fake = await fakeSecretsManager(
            new Map([[secretArn, JSON.stringify({ username: "app_user", password: APP_PASSWORD })]]),
        );
        const port = await freePort();
        const env: Record<string, string> = {
            ...unitEnv,
            [ENV.DB_HOST]: "127.0.0.1",
            [ENV.DB_PORT]: String(pg().port),
            [ENV.DB_SSL]: "disable",
            [ENV.PORT]: String(port),
            // What the instance profile provides the SDK through IMDS, and the fake endpoint.
            AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
            AWS_SECRET_ACCESS_KEY: "fake-secret-access-key",
            AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url,
        };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-app-ec2-"));
        fs.writeFileSync(path.join(dir, "server.js"), server.code);
        // systemd starts the unit with only its Environment= lines (no inherited environment).
        child = spawn(process.execPath, [path.join(dir, "server.js")], {
            cwd: "/",
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
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
        assert.ok(fake.reads.includes(secretArn), "the app read its secret by ARN from the secret source");

        // systemd stops it with SIGTERM: it drains and exits 0 within TimeoutStopSec.
        const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
        child.kill("SIGTERM");
        assert.strictEqual(await exited, 0, output);
    });
});
