/**
 * Entry point of the migration bundle (see `app/build.ts`): the migration handler bound to the
 * migration files, which esbuild substitutes for `__APP_MIGRATIONS__` at build time (`define`),
 * so the function reads no files at run time. Only meaningful inside the bundle; unbundled code
 * uses `handler` from `migrate-lambda.ts`.
 */
import { createMigrateHandler } from "./migrate-lambda";
import type { Migration } from "./migrations";

declare const __APP_MIGRATIONS__: readonly Migration[];

export const handler = createMigrateHandler(__APP_MIGRATIONS__);
