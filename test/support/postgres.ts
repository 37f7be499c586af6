/**
 * A throwaway PostgreSQL server for tests.
 *
 * `startPostgres()` creates a cluster in a temporary directory (initdb once per process, then a
 * copy per server), starts `postgres` on a free loopback TCP port and a Unix socket in that
 * directory, with `fsync=off` and friends for speed and `log_statement=all` so tests can search
 * the server log. The superuser `postgres` authenticates by password (SCRAM) over TCP and is
 * trusted on the socket. `stop()` shuts it down and deletes everything.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, initdb and postgres run as
 * the `postgres` system user. Missing server binaries are an error, not a skip.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
    chmodSync,
    chownSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statfsSync,
    writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Client, type ClientConfig, type QueryResult, type QueryResultRow } from "pg";

export const INSTALL_HINT =
    "PostgreSQL server binaries (initdb, postgres) not found. The app tests need a real PostgreSQL 15 server: " +
    "install Debian's postgresql: apt-get install postgresql (or set PG_BIN to the directory that holds initdb and postgres).";

export interface PostgresServer {
    readonly host: string;
    readonly port: number;
    readonly socketDir: string;
    readonly superuser: string;
    readonly superuserPassword: string;
    /** e.g. "15.14" */
    readonly version: string;
    /** PEM of the server's self-signed certificate (only with `{ ssl: true }`). */
    readonly certificate: string | undefined;
    /** Superuser over TCP with password authentication. */
    clientConfig(database?: string): ClientConfig;
    /** Runs one statement as the superuser (Unix socket) in `database` (default "postgres"). */
    query<R extends QueryResultRow = QueryResultRow>(
        sql: string,
        params?: unknown[],
        database?: string,
    ): Promise<QueryResult<R>>;
    /** Creates a database with a unique name derived from `prefix`; returns the name. */
    createDatabase(prefix: string, owner?: string): Promise<string>;
    /** The server's log output so far. */
    log(): string;
    stop(): Promise<void>;
}

export interface StartOptions {
    /** Serve TLS with a fresh self-signed certificate for 127.0.0.1/localhost. */
    readonly ssl?: boolean;
}

interface RunAs {
    readonly uid: number;
    readonly gid: number;
}

export interface BinSearch {
    /** Explicit directory ($PG_BIN). */
    readonly pgBin?: string | undefined;
    /** Debian's versioned install root. */
    readonly debianRoot?: string;
    /** The search path ($PATH). */
    readonly path?: string | undefined;
}

/**
 * The directory holding initdb and postgres: $PG_BIN, Debian's /usr/lib/postgresql/<v>/bin
 * (15 preferred, else the newest), or the PATH. Throws {@link INSTALL_HINT} when none has them.
 */
export function findPostgresBin(
    search: BinSearch = { pgBin: process.env.PG_BIN, debianRoot: "/usr/lib/postgresql", path: process.env.PATH },
): string {
    const has = (dir: string): boolean => existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"));
    const candidates: string[] = [];
    if (search.pgBin) candidates.push(search.pgBin);
    const debian = search.debianRoot;
    if (debian !== undefined && existsSync(debian)) {
        const versions = readdirSync(debian)
            .filter((v) => /^\d+$/.test(v))
            .sort((a, b) => (a === "15" ? -1 : b === "15" ? 1 : Number(b) - Number(a)));
        candidates.push(...versions.map((v) => join(debian, v, "bin")));
    }
    candidates.push(...(search.path ?? "").split(delimiter).filter((d) => d !== ""));
    const found = candidates.find(has);
    if (found === undefined) throw new Error(INSTALL_HINT);
    return found;
}

/** When running as root, the `postgres` system user to run the server as. */
function runAs(): RunAs | undefined {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
    const line = readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("postgres:"));
    if (line === undefined) {
        throw new Error(
            "The tests run as root, but PostgreSQL refuses to run as root and there is no `postgres` user. " +
                INSTALL_HINT,
        );
    }
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
}

function own(path: string, user: RunAs | undefined, mode: number): void {
    if (user !== undefined) chownSync(path, user.uid, user.gid);
    chmodSync(path, mode);
}

/**
 * Where clusters live: $PG_TEST_TMPDIR, else /dev/shm when it is a roomy tmpfs (initdb and the
 * copies are I/O bound; on an overlay file system they take seconds), else the OS temp dir.
 */
function baseDir(): string {
    if (process.env.PG_TEST_TMPDIR) return process.env.PG_TEST_TMPDIR;
    try {
        const fs = statfsSync("/dev/shm");
        if (fs.bavail * fs.bsize > 1024 * 1024 * 1024) return "/dev/shm";
    } catch {
        // not Linux, or no /dev/shm
    }
    return tmpdir();
}

const childEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, LC_ALL: "C", LANG: "C", TZ: "UTC" });

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const address = srv.address();
            const port = typeof address === "object" && address !== null ? address.port : 0;
            srv.close(() => resolve(port));
        });
    });
}

/** One initdb per process; each server copies it (cp -a keeps the owner), saving most of initdb's time. */
let template: { dir: string; data: string; password: string } | undefined;
const liveDirs = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.once("exit", () => {
        for (const child of liveChildren) child.kill("SIGKILL");
        for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
        if (template !== undefined) rmSync(template.dir, { recursive: true, force: true });
    });
}

function ensureTemplate(bin: string, user: RunAs | undefined): { data: string; password: string } {
    if (template !== undefined) return template;
    const dir = mkdtempSync(join(baseDir(), "pgtpl-"));
    own(dir, user, 0o700);
    const password = randomBytes(18).toString("base64url");
    const pwfile = join(dir, "pwfile");
    writeFileSync(pwfile, `${password}\n`);
    own(pwfile, user, 0o600);
    const data = join(dir, "data");
    execFileSync(
        join(bin, "initdb"),
        [
            "-D",
            data,
            "-U",
            "postgres",
            "--pwfile",
            pwfile,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        { ...(user ?? {}), env: childEnv(), stdio: ["ignore", "pipe", "pipe"], cwd: dir },
    );
    rmSync(pwfile);
    template = { dir, data, password };
    return template;
}

function makeCertificate(dir: string, user: RunAs | undefined): { cert: string; certFile: string; keyFile: string } {
    const certFile = join(dir, "server.crt");
    const keyFile = join(dir, "server.key");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            keyFile,
            "-out",
            certFile,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    own(certFile, user, 0o644);
    own(keyFile, user, 0o600);
    return { cert: readFileSync(certFile, "utf8"), certFile, keyFile };
}

async function waitReady(socketDir: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(
                `postgres exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${output().slice(-3000)}`,
            );
        }
        const client = new Client({ host: socketDir, port, user: "postgres", database: "postgres" });
        try {
            await client.connect();
            await client.end();
            return;
        } catch {
            await client.end().catch(() => undefined);
        }
        if (Date.now() > deadline)
            throw new Error(`postgres did not accept connections within 20 s:\n${output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
    const bin = findPostgresBin();
    const user = runAs();
    installExitHook();
    const tpl = ensureTemplate(bin, user);
    const version = execFileSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" })
        .trim()
        .replace(/^.*\(PostgreSQL\)\s*/, "");

    const dir = mkdtempSync(join(baseDir(), "pgtest-"));
    liveDirs.add(dir);
    own(dir, user, 0o700);
    const data = join(dir, "data");
    execFileSync("cp", ["-a", tpl.data, data]);
    const socketDir = join(dir, "s");
    mkdirSync(socketDir);
    own(socketDir, user, 0o700);

    const settings = [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=60",
        "log_statement=all",
        "log_destination=stderr",
        "logging_collector=off",
        "shared_buffers=16MB",
    ];
    let certificate: string | undefined;
    if (options.ssl === true) {
        const { cert, certFile, keyFile } = makeCertificate(dir, user);
        certificate = cert;
        settings.push("ssl=on", `ssl_cert_file=${certFile}`, `ssl_key_file=${keyFile}`);
    }

    const port = await freePort();
    let output = "";
    const child = spawn(
        join(bin, "postgres"),
        ["-D", data, "-p", String(port), "-k", socketDir, "-h", "127.0.0.1", ...settings.flatMap((s) => ["-c", s])],
        { ...(user ?? {}), env: childEnv(), stdio: ["ignore", "pipe", "pipe"], cwd: dir },
    );
    liveChildren.add(child);
    const collect = (chunk: Buffer): void => {
        if (output.length < 8_000_000) output += chunk.toString("utf8");
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    const stop = async (): Promise<void> => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGINT"); // fast shutdown
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        }
        liveChildren.delete(child);
        rmSync(dir, { recursive: true, force: true });
        liveDirs.delete(dir);
    };

    try {
        await waitReady(socketDir, port, child, () => output);
    } catch (err) {
        await stop();
        throw err;
    }

    let dbCounter = 0;
    const server: PostgresServer = {
        host: "127.0.0.1",
        port,
        socketDir,
        superuser: "postgres",
        superuserPassword: tpl.password,
        version,
        certificate,
        clientConfig: (database = "postgres") => ({
            host: "127.0.0.1",
            port,
            user: "postgres",
            password: tpl.password,
            database,
        }),
        async query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[], database = "postgres") {
            const client = new Client({ host: socketDir, port, user: "postgres", database });
            await client.connect();
            try {
                return await client.query<R>(sql, params);
            } finally {
                await client.end();
            }
        },
        async createDatabase(prefix: string, owner?: string) {
            const name = `${prefix.replace(/[^a-z0-9_]/g, "_")}_${++dbCounter}`;
            await server.query(`CREATE DATABASE ${name}${owner !== undefined ? ` OWNER ${owner}` : ""}`);
            return name;
        },
        log: () => output,
        stop,
    };
    return server;
}

/**
 * Starts a server before the tests of the enclosing `describe` and stops it after them.
 * Returns an accessor for use inside tests and hooks.
 */
export function usePostgres(options: StartOptions = {}): () => PostgresServer {
    let server: PostgresServer | undefined;
    before(async function () {
        this.timeout(60_000);
        server = await startPostgres(options);
    });
    after(async () => {
        await server?.stop();
        server = undefined;
    });
    return () => {
        if (server === undefined)
            throw new Error("the PostgreSQL test server is not running (use it inside tests or hooks)");
        return server;
    };
}
