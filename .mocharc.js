// Mocha's config for `npm test`: every test/**/*.test.ts, in parallel on 2 workers.
//
// Mocha hands the files to the workers in the order of `spec`, so the slow ones (those that run
// `npm run plan` many times, or wait on timeouts) go first and the many quick ones fill in
// behind them; in alphabetical order the slowest started last and one worker ran alone at the
// end. The list only orders: every other test file follows, alphabetically (a file listed here
// that no longer exists is an error, so the list cannot rot silently).
"use strict";
const fs = require("fs");
const path = require("path");

/** Slowest first, as measured one file at a time (wall seconds on the 2-core machine). */
const SLOW_FIRST = [
    "test/plan/analyzer-plan.test.ts", // 56
    "test/plan/plan.test.ts", // 52
    "test/cost/plans.test.ts", // 47
    "test/database/restore.test.ts", // 41
    "test/auth/stacks.test.ts", // 26
    "test/plan/robustness.test.ts", // 25
    "test/ec2/stacks.test.ts", // 14
    "test/database/database.test.ts", // 12
    "test/config/every-rule.test.ts", // 11
    "test/ecs/stacks.test.ts", // 11
    "test/app/connect-retry.test.ts", // 10
    "test/network/network.test.ts", // 9
    "test/ec2/unit-runs.test.ts", // 9
];

function testFiles(dir) {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .filter((f) => f.endsWith(".test.ts"));
}

const all = testFiles("test")
    .map((f) => f.split(path.sep).join("/"))
    .sort();
for (const f of SLOW_FIRST) if (!all.includes(f)) throw new Error(`.mocharc.js: ${f} is not a test file`);

module.exports = {
    // TypeScript through the repository's esbuild hook, as `npm run plan` runs it (type checking
    // is tsc's job: `npm test` runs it beside mocha); with ts-node the workers spent more time
    // transpiling than testing. Source maps keep failures pointing at .ts lines.
    require: ["./tools/register.js"],
    "node-option": ["enable-source-maps"],
    spec: [...SLOW_FIRST, ...all.filter((f) => !SLOW_FIRST.includes(f))],
    extension: ["ts"],
    timeout: 60000,
    reporter: "spec",
    parallel: true,
    jobs: 2,
};

// One folder per test run for the results of `npm run plan` commands that several test files run
// with the same arguments (test/support/plan-cli.ts): made here, in mocha's main process, so
// every worker inherits it; removed when the run ends.
if (!process.env.PRIVATE_APP_TEST_PLANS) {
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "private-app-plans-"));
    process.env.PRIVATE_APP_TEST_PLANS = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
}
