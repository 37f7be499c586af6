/**
 * What a test needs to start the real server bundle as a deployment would: a fake Secrets
 * Manager the app reads its secret from by ARN, a free port, and a wait for the server.
 */
import { createServer, type IncomingMessage, type Server } from "http";
import type { AddressInfo } from "net";

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
