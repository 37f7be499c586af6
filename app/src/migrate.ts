/**
 * The migration runner.
 *
 * - Takes one session-level advisory lock (`pg_advisory_lock(MIGRATION_LOCK_KEY)`) for the
 *   whole run, so concurrent runs (two deploys, a retried invocation) queue instead of
 *   interleaving; the second run then finds everything applied and does nothing. If the
 *   connection dies, PostgreSQL releases the lock with the session.
 * - Records each migration in `public.schema_migrations(version, name, checksum, applied_at)`.
 * - Before applying anything, checks the recorded history against the files: a changed
 *   checksum, a renamed file, a recorded version missing from this build, or a pending version
 *   older than the newest applied one is an error and nothing is applied.
 * - Applies each pending migration in its own transaction together with its record row; a
 *   failure rolls the whole migration back and throws {@link MigrationError} naming it.
 *
 * Migration files must therefore not contain transaction control (BEGIN/COMMIT) or statements
 * that cannot run in a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE before 12).
 */
import { type ClientBase, DatabaseError, Pool, type PoolClient } from "pg";
import { describeError, type Logger, silentLogger } from "./log";
import { type Migration, migrationChecksum, migrationId, validateMigrations } from "./migrations";

/** First 8 bytes of SHA-256("private-app:schema_migrations") as a signed 64-bit integer. */
export const MIGRATION_LOCK_KEY = "-1288179622605164807";

export const MIGRATIONS_TABLE = "public.schema_migrations";

export interface MigrationResult {
    /** Ids (`0001_create_notes`) applied by this run, in order. */
    readonly applied: string[];
    /** Migrations that were already applied. */
    readonly skipped: number;
}

export interface RunMigrationsOptions {
    readonly log?: Logger;
    /** How long to wait for another run's lock (ms). Default 120 000. */
    readonly lockTimeoutMillis?: number;
    /** Runs after the migrations, still holding the lock (e.g. configuring the app role). */
    readonly afterMigrations?: (client: ClientBase) => Promise<void>;
}

/** A migration failed; it was rolled back. */
export class MigrationError extends Error {
    constructor(
        readonly migration: string,
        readonly reason: { name: string; message: string; code?: string },
        readonly line?: number,
    ) {
        super(
            `migration ${migration} failed${line !== undefined ? ` at line ${line}` : ""}: ${reason.message}` +
                `${reason.code !== undefined ? ` (SQLSTATE ${reason.code})` : ""}; it was rolled back`,
        );
        this.name = "MigrationError";
    }
}

/** The recorded history does not match the migration files; nothing was applied. */
export class MigrationHistoryError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `Migration history does not match the migration files; nothing was applied:\n${problems.map((p) => ` - ${p}`).join("\n")}`,
        );
        this.name = "MigrationHistoryError";
    }
}

interface AppliedRow {
    version: string;
    name: string;
    checksum: string;
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version    text        PRIMARY KEY CHECK (version ~ '^[0-9]{4}$'),
  name       text        NOT NULL,
  checksum   text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Runs `migrations` on `target` (a Pool: one connection is checked out for the run). */
export async function runMigrations(
    target: Pool | ClientBase,
    migrations: readonly Migration[],
    options: RunMigrationsOptions = {},
): Promise<MigrationResult> {
    const log = options.log ?? silentLogger;
    const ordered = validateMigrations(migrations);
    const pooled = target instanceof Pool;
    const client: ClientBase = pooled ? await target.connect() : target;
    let broken: Error | undefined;
    try {
        await acquireLock(client, options.lockTimeoutMillis ?? 120_000, log);
        try {
            const result = await migrateLocked(client, ordered, log);
            if (options.afterMigrations !== undefined) await options.afterMigrations(client);
            return result;
        } finally {
            try {
                await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
            } catch (err) {
                // The session is gone, and the lock with it.
                broken = err instanceof Error ? err : new Error(String(err));
            }
        }
    } finally {
        if (pooled) (client as PoolClient).release(broken);
    }
}

async function acquireLock(client: ClientBase, timeoutMillis: number, log: Logger): Promise<void> {
    const got = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        MIGRATION_LOCK_KEY,
    ]);
    if (got.rows[0]?.locked === true) return;
    log.info("another migration run holds the lock; waiting", { lockKey: MIGRATION_LOCK_KEY, timeoutMillis });
    const previous = await client.query<{ value: string }>("SELECT current_setting('statement_timeout') AS value");
    await client.query("SELECT set_config('statement_timeout', $1, false)", [
        String(Math.max(1, Math.floor(timeoutMillis))),
    ]);
    try {
        await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    } catch (err) {
        if (err instanceof DatabaseError && err.code === "57014") {
            throw new Error(
                `timed out after ${timeoutMillis} ms waiting for the migration lock (another migration run is in progress)`,
                { cause: err },
            );
        }
        throw err;
    } finally {
        await client.query("SELECT set_config('statement_timeout', $1, false)", [previous.rows[0]?.value ?? "0"]);
    }
}

async function migrateLocked(
    client: ClientBase,
    migrations: readonly Migration[],
    log: Logger,
): Promise<MigrationResult> {
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<AppliedRow>(
        `SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY version`,
    );
    const pending = checkHistory(migrations, rows);
    const applied: string[] = [];
    for (const migration of pending) {
        const id = migrationId(migration);
        const started = Date.now();
        await applyOne(client, migration);
        log.info("migration applied", { migration: id, ms: Date.now() - started });
        applied.push(id);
    }
    return { applied, skipped: migrations.length - pending.length };
}

/** One way the recorded history disagrees with the migration files. */
export interface HistoryMismatch {
    /** `0001_create_notes` (as recorded, or the file's id for an out-of-order pending one). */
    readonly migration: string;
    readonly kind: "checksum" | "renamed" | "missing_file" | "out_of_order";
    readonly message: string;
}

/** Compares the recorded history with the files: the pending migrations and every mismatch. */
export function compareHistory(
    migrations: readonly Migration[],
    appliedRows: readonly AppliedRow[],
): { pending: Migration[]; mismatches: HistoryMismatch[] } {
    const mismatches: HistoryMismatch[] = [];
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    const applied = new Set<string>();
    let newestApplied = "";
    for (const row of appliedRows) {
        applied.add(row.version);
        if (row.version > newestApplied) newestApplied = row.version;
        const file = byVersion.get(row.version);
        const recorded = `${row.version}_${row.name}`;
        if (file === undefined) {
            mismatches.push({
                migration: recorded,
                kind: "missing_file",
                message: `${recorded} is recorded as applied but is not among the migration files (was it deleted or renamed, or is this an older build?)`,
            });
            continue;
        }
        if (file.name !== row.name)
            mismatches.push({
                migration: recorded,
                kind: "renamed",
                message: `${recorded} was applied under another name; the file is now ${migrationId(file)}.sql`,
            });
        const checksum = migrationChecksum(file);
        if (checksum !== row.checksum) {
            mismatches.push({
                migration: migrationId(file),
                kind: "checksum",
                message:
                    `${migrationId(file)} was changed after it was applied (checksum recorded ${row.checksum.slice(0, 12)}..., file ${checksum.slice(0, 12)}...); ` +
                    "add a new migration instead of editing an applied one",
            });
        }
    }
    const pending = migrations.filter((m) => !applied.has(m.version));
    for (const m of pending) {
        if (m.version < newestApplied)
            mismatches.push({
                migration: migrationId(m),
                kind: "out_of_order",
                message: `${migrationId(m)} is pending but the newer ${newestApplied} is already applied; give it a version above ${newestApplied}`,
            });
    }
    return { pending, mismatches };
}

/** Compares the recorded history with the files; returns the pending migrations or throws. */
export function checkHistory(migrations: readonly Migration[], appliedRows: readonly AppliedRow[]): Migration[] {
    const { pending, mismatches } = compareHistory(migrations, appliedRows);
    if (mismatches.length > 0) throw new MigrationHistoryError(mismatches.map((m) => m.message));
    return pending;
}

/** What `status` reports. */
export interface MigrationStatus {
    readonly action: "status";
    /** Recorded migrations, in version order, with when they were applied (ISO 8601). */
    readonly applied: { readonly migration: string; readonly appliedAt: string }[];
    /** Migrations of this build not applied yet, in the order a run would apply them. */
    readonly pending: string[];
    /** Where the history and the files disagree; a run would stop on any of these and apply nothing. */
    readonly mismatches: HistoryMismatch[];
    /** No pending migration and no mismatch. */
    readonly upToDate: boolean;
}

/**
 * Where the schema stands, changing nothing: a read-only transaction (one snapshot), no lock,
 * no table created (a database never migrated reports everything pending).
 */
export async function migrationStatus(client: ClientBase, migrations: readonly Migration[]): Promise<MigrationStatus> {
    const ordered = validateMigrations(migrations);
    let rows: (AppliedRow & { applied_at: Date })[] = [];
    await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
        const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [MIGRATIONS_TABLE]);
        if (exists.rows[0]?.t != null) {
            rows = (
                await client.query<AppliedRow & { applied_at: Date }>(
                    `SELECT version, name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY version`,
                )
            ).rows;
        }
    } finally {
        await client.query("ROLLBACK").catch(() => undefined);
    }
    const { pending, mismatches } = compareHistory(ordered, rows);
    return {
        action: "status",
        applied: rows.map((r) => ({ migration: `${r.version}_${r.name}`, appliedAt: r.applied_at.toISOString() })),
        pending: pending.map(migrationId),
        mismatches,
        upToDate: pending.length === 0 && mismatches.length === 0,
    };
}

async function applyOne(client: ClientBase, migration: Migration): Promise<void> {
    const id = migrationId(migration);
    await client.query("BEGIN");
    try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [
            migration.version,
            migration.name,
            migrationChecksum(migration),
        ]);
        await client.query("COMMIT");
    } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(id, describeError(err), errorLine(migration.sql, err));
    }
}

/** 1-based line of a PostgreSQL error position within `sql`, when the server reported one. */
function errorLine(sql: string, err: unknown): number | undefined {
    const position = err instanceof DatabaseError ? Number(err.position) : NaN;
    if (!Number.isInteger(position) || position < 1) return undefined;
    return [...sql]
        .slice(0, position - 1)
        .join("")
        .split("\n").length;
}
