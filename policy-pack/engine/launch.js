/**
 * Preloaded (`node -r`) into the analyzer process that `analyzer.ts` starts for the offline plan
 * and the tests. Two things only, neither of which changes what the pack computes:
 *
 * - `PRIVATE_APP_ANALYZER_TRANSPILE=1`: load the pack's TypeScript with esbuild (types stripped,
 *   as `npm run plan` loads the program) instead of ts-node with type checking, which takes
 *   2-3 s per start. `npm test` type-checks the pack with `tsc`; without the variable the pack
 *   starts exactly as under the Pulumi CLI (ts-node, type checked). In that mode two modules that
 *   only cost start-up time are not loaded either: the TypeScript compiler (run-policy-pack
 *   loads it for ts-node and its version) and, through `tools/register.js`, `@pulumi/pulumi`'s
 *   Automation API until first used. Together about 0.6 s of CPU per start.
 * - the analyzer never exits by itself (the CLI kills it): exit when our parent goes away,
 *   which closes this process's stdin.
 */
"use strict";
const path = require("path");

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

if (process.env.PRIVATE_APP_ANALYZER_TRANSPILE === "1") {
    // The repository's esbuild hook (the pack's own node_modules has no esbuild).
    require(path.join(__dirname, "..", "..", "tools", "register.js"));
    // run-policy-pack registers ts-node (the pack's, or the copy vendored in @pulumi/pulumi); with
    // register() a no-op, the esbuild hook above stays in charge of `.ts` files.
    const Module = require("module");
    const load = Module._load;
    Module._load = function (request, parent) {
        if (request === "typescript") {
            return { version: load.call(this, "typescript/package.json", parent).version };
        }
        const exported = load.apply(this, arguments);
        if (/(^|[\\/])ts-node(@[\d.]+)?$/.test(request) && exported && typeof exported.register === "function") {
            return { ...exported, register: () => undefined };
        }
        return exported;
    };
}
