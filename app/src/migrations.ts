/**
 * Migration files: naming, loading, checksums. Shared by the bundler (build time) and the
 * runner, so the checksums recorded in the database and those the infrastructure sees agree.
 *
 * A migration is `migrations/<version>_<name>.sql`: `version` is four digits, `name` is
 * lower-case letters, digits and underscores, e.g. `0001_create_notes.sql`.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Migration {
    /** Four digits, e.g. "0001"; applied in ascending order. */
    readonly version: string;
    /** e.g. "create_notes". */
    readonly name: string;
    readonly sql: string;
}

export const MIGRATION_FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function sha256Hex(data: string | Uint8Array): string {
    return createHash("sha256").update(data).digest("hex");
}

/** The checksum recorded in `schema_migrations.checksum`: SHA-256 of the file's UTF-8 bytes. */
export function migrationChecksum(migration: Pick<Migration, "sql">): string {
    return sha256Hex(migration.sql);
}

/** `0001_create_notes` */
export function migrationId(migration: Pick<Migration, "version" | "name">): string {
    return `${migration.version}_${migration.name}`;
}

/**
 * One hash over the ordered (file name, content) pairs. JSON framing keeps it unambiguous
 * (no two different lists serialise alike). The infrastructure re-runs migrations when it changes.
 */
export function migrationsSha256(migrations: readonly Migration[]): string {
    return sha256Hex(JSON.stringify(migrations.map((m) => [`${migrationId(m)}.sql`, m.sql])));
}

/** Checks names, versions and order; throws listing every problem. Returns the list sorted by version. */
export function validateMigrations(migrations: readonly Migration[]): Migration[] {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const m of migrations) {
        const id = migrationId(m);
        if (!MIGRATION_FILE_PATTERN.test(`${id}.sql`))
            problems.push(`${id}: version must be 4 digits and name [a-z0-9_]+`);
        const other = seen.get(m.version);
        if (other !== undefined) problems.push(`${id}: version ${m.version} is also used by ${other}`);
        seen.set(m.version, id);
        if (m.sql.trim() === "") problems.push(`${id}: is empty`);
    }
    if (problems.length > 0) throw new Error(`Invalid migrations:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
    return [...migrations].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

/**
 * Reads `*.sql` from a directory (build time, local runs and tests; the Lambda bundle embeds
 * the list instead). Any `.sql` file not named like a migration is an error, not silently skipped.
 */
export function loadMigrationsFromDir(dir: string): Migration[] {
    const problems: string[] = [];
    const migrations: Migration[] = [];
    for (const file of readdirSync(dir).sort()) {
        if (!file.endsWith(".sql")) continue;
        const match = MIGRATION_FILE_PATTERN.exec(file);
        if (match === null) {
            problems.push(`${file}: migration files must be named NNNN_name.sql (4 digits, then [a-z0-9_]+)`);
            continue;
        }
        migrations.push({ version: match[1]!, name: match[2]!, sql: readFileSync(join(dir, file), "utf8") });
    }
    if (problems.length > 0)
        throw new Error(`Invalid migrations in ${dir}:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
    return validateMigrations(migrations);
}

/** The directory of the app's migrations in the source tree (`app/migrations`). */
export function defaultMigrationsDir(): string {
    return join(__dirname, "..", "migrations");
}
