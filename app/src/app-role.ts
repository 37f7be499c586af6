/**
 * Configures how the least-privilege app role (`app_user`, created by the migrations) logs in.
 *
 * This is not a versioned migration because it depends on the deployment, not on the schema:
 * - IAM auth (recommended): `GRANT rds_iam TO app_user` where the `rds_iam` role exists (only on
 *   RDS/Aurora) and `PASSWORD NULL`, so no password can be used at all.
 * - Password auth: the password comes from a secret the infrastructure generates. On RDS a member
 *   of `rds_iam` can no longer log in with a password, so membership is revoked first. The
 *   password is sent as a SCRAM-SHA-256 verifier computed here, never in clear text: a
 *   `log_statement = ddl|all` setting or pgaudit on the server would otherwise write it to the
 *   server logs. The verifier is quoted with `escapeLiteral`, never concatenated raw.
 * The migration function re-applies this on every run (idempotent).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { type ClientBase, escapeIdentifier, escapeLiteral } from "pg";
import { APP_DB_ROLE } from "../contract";
import { type Logger, silentLogger } from "./log";

export type AppRoleAuth = { readonly kind: "iam" } | { readonly kind: "password"; readonly password: string };

/** PostgreSQL's default SCRAM iteration count (`scram_iterations`). */
export const SCRAM_ITERATIONS = 4096;
export const MIN_APP_PASSWORD_LENGTH = 8;
export const MAX_APP_PASSWORD_LENGTH = 1024;

/**
 * Checks an app role password without echoing it: printable ASCII only, so that SASLprep
 * leaves it unchanged and the verifier computed here matches what clients derive.
 */
export function validateAppPassword(password: string): void {
    if (password.length < MIN_APP_PASSWORD_LENGTH || password.length > MAX_APP_PASSWORD_LENGTH) {
        throw new Error(
            `app user password must be ${MIN_APP_PASSWORD_LENGTH} to ${MAX_APP_PASSWORD_LENGTH} characters (got ${password.length})`,
        );
    }
    if (!/^[\x20-\x7e]+$/.test(password)) {
        throw new Error("app user password must contain printable ASCII characters only");
    }
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5802/7677) in PostgreSQL's `pg_authid.rolpassword` format:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. PostgreSQL stores such a string
 * as is; the clear-text password never leaves this process.
 */
export function scramSha256Verifier(
    password: string,
    salt: Buffer = randomBytes(16),
    iterations = SCRAM_ITERATIONS,
): string {
    const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const RDS_IAM_MEMBERSHIP = `
  EXISTS (SELECT 1 FROM pg_auth_members m
            JOIN pg_roles g ON g.oid = m.roleid
            JOIN pg_roles u ON u.oid = m.member
           WHERE g.rolname = 'rds_iam' AND u.rolname = ${escapeLiteral(APP_DB_ROLE)})`;

export async function configureAppRole(
    client: ClientBase,
    auth: AppRoleAuth,
    log: Logger = silentLogger,
): Promise<void> {
    const role = escapeIdentifier(APP_DB_ROLE);
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_DB_ROLE]);
    if (exists.rowCount === 0) throw new Error(`role ${APP_DB_ROLE} does not exist; the migrations create it`);
    switch (auth.kind) {
        case "iam":
            // rds_iam exists only on RDS/Aurora; elsewhere (local tests) IAM auth cannot apply anyway.
            await client.query(`
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') AND NOT ${RDS_IAM_MEMBERSHIP} THEN
    GRANT rds_iam TO ${role};
  END IF;
END
$$`);
            await client.query(`ALTER ROLE ${role} PASSWORD NULL`);
            log.info("app role configured for IAM authentication", { role: APP_DB_ROLE });
            return;
        case "password": {
            validateAppPassword(auth.password);
            await client.query(`
DO $$
BEGIN
  IF ${RDS_IAM_MEMBERSHIP} THEN
    REVOKE rds_iam FROM ${role};
  END IF;
END
$$`);
            await client.query(`ALTER ROLE ${role} PASSWORD ${escapeLiteral(scramSha256Verifier(auth.password))}`);
            log.info("app role configured for password authentication", { role: APP_DB_ROLE });
            return;
        }
    }
}
