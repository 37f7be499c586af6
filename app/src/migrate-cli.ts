/**
 * Runs the migrations, or reports where the schema stands, from a shell (local development):
 *
 *   DB_HOST=127.0.0.1 DB_SSL=disable DB_NAME=app DB_USER=postgres DB_PASSWORD=... \
 *   APP_USER_PASSWORD=... npx ts-node --transpile-only app/src/migrate-cli.ts [migrate|status]
 *
 * Same configuration and the same actions as the migration Lambda (see app/README.md): with no
 * argument it migrates. Prints the result as JSON on stdout; exits 1 on failure (the reason is
 * logged without secrets), 2 on a bad argument.
 */
import { DEFAULT_MIGRATION_ACTION, MIGRATION_ACTIONS } from "../contract";
import { handler } from "./migrate-lambda";

const args = process.argv.slice(2);
const action = args[0] ?? DEFAULT_MIGRATION_ACTION;
if (args.length > 1 || !(MIGRATION_ACTIONS as readonly string[]).includes(action)) {
    console.error(`usage: migrate-cli.ts [${MIGRATION_ACTIONS.join("|")}]  (default: ${DEFAULT_MIGRATION_ACTION})`);
    process.exitCode = 2;
} else {
    handler({ action }).then(
        (result) => {
            console.log(JSON.stringify(result));
        },
        () => {
            // Already logged (without secrets) by the handler.
            process.exitCode = 1;
        },
    );
}
