/** Test helpers for the app tests (not a test file). */
import { createServer, type Server, Socket } from "node:net";

/** A TCP proxy in front of the database, so tests can cut the connection like an outage. */
export class TcpProxy {
    private server: Server | undefined;
    private sockets = new Set<Socket>();
    port = 0;
    constructor(private readonly target: { host: string; port: number }) {}
    async start(port = 0): Promise<void> {
        const server = createServer((inbound) => {
            const outbound = new Socket();
            outbound.connect(this.target.port, this.target.host);
            for (const s of [inbound, outbound]) {
                this.sockets.add(s);
                s.on("close", () => this.sockets.delete(s));
                s.on("error", () => undefined);
            }
            inbound.pipe(outbound).pipe(inbound);
            inbound.on("close", () => outbound.destroy());
            outbound.on("close", () => inbound.destroy());
        });
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
        this.server = server;
        const address = server.address();
        this.port = typeof address === "object" && address !== null ? address.port : 0;
    }
    async stop(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
        this.server = undefined;
    }
}

/** A loopback port nothing listens on (yet): connections to it are refused. */
export async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const address = srv.address();
    await new Promise<void>((r) => srv.close(() => r()));
    return typeof address === "object" && address !== null ? address.port : 0;
}
