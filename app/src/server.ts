/**
 * Plain Node HTTP server for container modes (ECS, EC2): the same router as the Lambda handler.
 *
 * `node server.js` listens on `PORT` (default 8080). On SIGTERM/SIGINT it stops accepting
 * connections, lets in-flight requests finish, closes the pool and exits 0 (exit 1 if that
 * takes longer than the grace period).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, createApp } from "./app";
import { callerFromHeaders } from "./caller";
import { DEFAULT_SERVER_PORT, ENV } from "../contract";
import type { Env } from "./config";
import { describeError } from "./log";
import { type ApiRequest, MAX_BODY_BYTES } from "./routes";

/** Below ECS's default stopTimeout (30 s). */
export const SHUTDOWN_GRACE_MS = 20_000;

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
                reject(new BodyTooLargeError());
                req.resume(); // drain, then answer 413
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

function send(res: ServerResponse, statusCode: number, headers: Readonly<Record<string, string>>, body: string): void {
    res.writeHead(statusCode, { ...headers, "content-length": Buffer.byteLength(body).toString() });
    res.end(body);
}

/** An HTTP server that hands every request to `app`. */
export function createHttpServer(app: App): Server {
    const server = createServer((req, res) => {
        void (async () => {
            const started = Date.now();
            const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 100) ?? randomUUID();
            // Prefix instead of resolving against a base: "//host/x" must stay a path, not a host.
            const target = req.url ?? "/";
            let url: URL;
            try {
                url = new URL(`http://localhost${target.startsWith("/") ? target : `/${target}`}`);
            } catch {
                send(
                    res,
                    400,
                    { "content-type": "application/json; charset=utf-8" },
                    JSON.stringify({ error: "bad_request", message: "invalid request target" }),
                );
                return;
            }
            let statusCode = 500;
            try {
                let body: Buffer | undefined;
                if (req.method !== "GET" && req.method !== "HEAD") {
                    try {
                        body = await readBody(req, MAX_BODY_BYTES);
                    } catch (err) {
                        if (!(err instanceof BodyTooLargeError)) throw err;
                        statusCode = 413;
                        send(
                            res,
                            413,
                            { "content-type": "application/json; charset=utf-8", connection: "close" },
                            JSON.stringify({
                                error: "payload_too_large",
                                message: `body must be at most ${MAX_BODY_BYTES} bytes`,
                            }),
                        );
                        return;
                    }
                }
                const headers: Record<string, string | undefined> = {};
                for (const [name, value] of Object.entries(req.headers))
                    headers[name] = Array.isArray(value) ? value.join(", ") : value;
                const apiRequest: ApiRequest = {
                    method: req.method ?? "GET",
                    path: url.pathname,
                    query: url.searchParams,
                    headers,
                    body,
                    requestId,
                    caller: callerFromHeaders(headers, app.callerSource ?? "none"),
                };
                const response = await app.handle(apiRequest);
                statusCode = response.statusCode;
                send(res, response.statusCode, response.headers, response.body);
            } catch (err) {
                app.log.error("request failed", { requestId, error: describeError(err) });
                if (!res.headersSent)
                    send(
                        res,
                        500,
                        { "content-type": "application/json; charset=utf-8" },
                        JSON.stringify({ error: "internal_error", message: "internal error" }),
                    );
                else res.destroy();
            } finally {
                app.log.info("request", {
                    requestId,
                    method: req.method,
                    path: url.pathname,
                    status: statusCode,
                    ms: Date.now() - started,
                });
            }
        })();
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    // Longer than load balancer idle timeouts (ALB: 60 s), so the balancer closes first.
    server.keepAliveTimeout = 65_000;
    return server;
}

export interface RunningServer {
    readonly server: Server;
    readonly port: number;
    /** Stops accepting, waits for in-flight requests (up to `graceMs`), closes the pool. */
    shutdown(graceMs?: number): Promise<void>;
}

export async function startServer(app: App, port: number, host?: string): Promise<RunningServer> {
    const server = createHttpServer(app);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    let stopping: Promise<void> | undefined;
    const shutdown = (graceMs = SHUTDOWN_GRACE_MS): Promise<void> =>
        (stopping ??= (async () => {
            const closed = new Promise<void>((resolve) => server.close(() => resolve()));
            server.closeIdleConnections();
            let timer: NodeJS.Timeout | undefined;
            const timedOut = new Promise<"timeout">((resolve) => {
                timer = setTimeout(() => resolve("timeout"), graceMs);
            });
            const outcome = await Promise.race([closed.then(() => "closed" as const), timedOut]);
            clearTimeout(timer);
            if (outcome === "timeout") {
                server.closeAllConnections();
                await app.close();
                throw new Error(`in-flight requests did not finish within ${graceMs} ms`);
            }
            await app.close();
        })());
    return { server, port: (server.address() as AddressInfo).port, shutdown };
}

/** Reads `PORT`; default `DEFAULT_SERVER_PORT` (8080). */
export function portFromEnv(env: Env): number {
    const raw = env[ENV.PORT];
    if (raw === undefined || raw === "") return DEFAULT_SERVER_PORT;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535) {
        throw new Error(`${ENV.PORT}: got "${raw}"; must be an integer from 1 to 65535`);
    }
    return Number(raw);
}

export async function main(env: Env = process.env): Promise<void> {
    const app = createApp(env);
    const running = await startServer(app, portFromEnv(env));
    app.log.info("listening", { port: running.port });
    const onSignal = (signal: NodeJS.Signals): void => {
        app.log.info("shutting down", { signal });
        running.shutdown().then(
            () => {
                app.log.info("shutdown complete");
                process.exitCode = 0;
            },
            (err: unknown) => {
                app.log.error("shutdown failed", { error: describeError(err) });
                process.exit(1);
            },
        );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", msg: "server failed to start", error: describeError(err) }));
        process.exit(1);
    });
}
