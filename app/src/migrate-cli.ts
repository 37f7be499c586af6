/**
 * Runs the migrations from a shell (local development):
 *
 *   DB_HOST=127.0.0.1 DB_SSL=disable DB_NAME=app DB_USER=postgres DB_PASSWORD=... \
 *   APP_USER_PASSWORD=... npx ts-node --transpile-only app/src/migrate-cli.ts
 *
 * Same configuration as the migration Lambda (see app/README.md); prints the result as JSON
 * and exits 1 on failure.
 */
import { handler } from "./migrate-lambda";

handler().then(
    (result) => {
        console.log(JSON.stringify(result));
    },
    () => {
        // Already logged (without secrets) by the handler.
        process.exitCode = 1;
    },
);
