// Mocha's config for `npm test`: every test/**/*.test.ts, in parallel on 2 workers.
//
// Mocha hands the files to the workers in the order of `spec`. First the files that run `npm run
// plan` many times (slowest first), then those that wait on other processes or timers (a few
// plans one after the other, PostgreSQL, a server, a linter): while one worker waits on those,
// the plans of the other keep both cores busy. The many quick in-process files come last and
// fill in behind them; in alphabetical order the slowest started last and one worker ran alone
// at the end. The list only orders: every other test file follows, alphabetically (a file listed
// here that no longer exists is an error, so the list cannot rot silently).
"use strict";
const fs = require("fs");
const path = require("path");

/** Wall seconds of each, run alone on the 2-core machine. */
const FIRST = [
    "test/plan/analyzer-plan.test.ts", // 56
    "test/plan/plan.test.ts", // 52
    "test/app/connect-retry.test.ts", // 10, of which 2 s of CPU
    "test/cost/plans.test.ts", // 47
    "test/app/migrate.test.ts", // 6
    "test/database/restore.test.ts", // 41
    "test/app/api.test.ts", // 6
    "test/auth/stacks.test.ts", // 26
    "test/ecs/task-definition-runs.test.ts", // 8
    "test/plan/robustness.test.ts", // 25
    "test/delivery/workflows.test.ts", // 5
    "test/ec2/stacks.test.ts", // 14
    "test/app/bundle.test.ts", // 6
    "test/config/every-rule.test.ts", // 11
    "test/app/smoke.test.ts", // 4
    "test/ecs/stacks.test.ts", // 11
    "test/ec2/unit-runs.test.ts", // 9
    "test/delivery/bootstrap-plan.test.ts", // 6
    "test/delivery/plan-other-project.test.ts", // 4
    "test/ecs/dockerfile.test.ts", // 3
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
for (const f of FIRST) if (!all.includes(f)) throw new Error(`.mocharc.js: ${f} is not a test file`);

module.exports = {
    // TypeScript through the repository's esbuild hook, as `npm run plan` runs it (type checking
    // is tsc's job: `npm test` runs it beside mocha); with ts-node the workers spent more time
    // transpiling than testing. Source maps keep failures pointing at .ts lines.
    require: ["./tools/register.js"],
    "node-option": ["enable-source-maps"],
    spec: [...FIRST, ...all.filter((f) => !FIRST.includes(f))],
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
