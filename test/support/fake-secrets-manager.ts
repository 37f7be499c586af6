/**
 * What a test needs to start the real server bundle as a deployment would: a fake Secrets
 * Manager the app reads its secret from by ARN, a free port, the database as the migrations
 * leave it, a wait for the server, and its stop.
 */
import type { ChildProcess } from "child_process";
import { createServer, type IncomingMessage, type Server } from "http";
import type { AddressInfo } from "net";
import { ENV } from "../../app/contract";
import { silentLogger } from "../../app/src/log";
import { createMigrateHandler } from "../../app/src/migrate-lambda";
import { defaultMigrationsDir, loadMigrationsFromDir } from "../../app/src/migrations";

/** A fake Secrets Manager: GetSecretValue (AWS JSON 1.1) for the secrets it holds; records each read. */
export function fakeSecretsManager(
    secrets: Map<string, string>,
): Promise<{ server: Server; url: string; reads: string[] }> {
    const reads: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const id = (JSON.parse(body || "{}") as { SecretId?: string }).SecretId ?? "";
            reads.push(id);
            const value = secrets.get(id);
            res.setHeader("content-type", "application/x-amz-json-1.1");
            if (target !== "secretsmanager.GetSecretValue" || value === undefined) {
                res.statusCode = 400;
                res.end(JSON.stringify({ __type: "ResourceNotFoundException", message: `no secret ${id}` }));
                return;
            }
            res.end(
                JSON.stringify({
                    ARN: id,
                    Name: id.split(":secret:")[1],
                    SecretString: value,
                    VersionId: "v1",
                    VersionStages: ["AWSCURRENT"],
                    CreatedDate: 1_700_000_000,
                }),
            );
        });
    });
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () =>
            resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reads }),
        ),
    );
}

export function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address() as AddressInfo;
            s.close(() => resolve(port));
        });
    });
}

export async function waitFor(url: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
        try {
            await fetch(url);
            return;
        } catch (e) {
            if (Date.now() > until) throw e;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
}

/**
 * The database as a deploy leaves it before the app starts: a master role owning the app's
 * database, and the real migration handler run as that master (it creates the app's role with
 * `appUserPassword`). `query` is the test PostgreSQL's superuser connection.
 */
export async function migratedDatabase(
    pg: { port: number; query: (sql: string) => Promise<unknown> },
    o: { master: string; masterPassword: string; database: string; appUserPassword: string },
): Promise<void> {
    await pg.query(`CREATE ROLE ${o.master} LOGIN CREATEROLE PASSWORD '${o.masterPassword}'`);
    await pg.query(`CREATE DATABASE ${o.database} OWNER ${o.master}`);
    await createMigrateHandler(loadMigrationsFromDir(defaultMigrationsDir()), {
        env: {
            [ENV.DB_HOST]: "127.0.0.1",
            [ENV.DB_PORT]: String(pg.port),
            [ENV.DB_NAME]: o.database,
            [ENV.DB_SSL]: "disable",
            [ENV.DB_USER]: o.master,
            [ENV.DB_PASSWORD]: o.masterPassword,
            [ENV.APP_USER_PASSWORD]: o.appUserPassword,
        },
        log: silentLogger,
    })();
}

/** Stops a server started by a test (SIGTERM, as systemd and ECS do) and the fake beside it. */
export async function stopServer(child: ChildProcess | undefined, fake: { server: Server } | undefined): Promise<void> {
    if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
    }
    await new Promise((r) => (fake ? fake.server.close(r) : r(undefined)));
}
