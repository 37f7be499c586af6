#!/usr/bin/env node
/**
 * Reads `pulumi preview --refresh --expect-no-changes --json` and says which resources drifted.
 *
 *   node .github/scripts/drift-report.js <preview.json> <stack> <pulumi exit code>
 *
 * Every step that is not `same` (after the refresh, the program would change the resource
 * back: it was changed, or deleted, outside Pulumi) is printed as a GitHub error annotation and
 * as a table in the job summary. Exit 1 on drift; the preview's own failure (credentials, an
 * error in the program) is reported as such, with its diagnostics, and exits 2.
 */
"use strict";
const fs = require("fs");

/** Operations that change nothing (a refresh step only reads; drift shows as the change after it). */
const UNCHANGED = new Set(["same", "read", "refresh"]);

/**
 * The drifted resources of a preview document: `[{ op, urn, type, name, keys }]`. Normally the
 * resources the program would change back after the refresh; when the preview failed its
 * expectation with none of those, the resources the refresh itself found changed.
 */
function driftedResources(preview, pulumiStatus = 0) {
    const steps = (preview.steps ?? []).filter((s) => !String(s.urn ?? "").includes("::pulumi:pulumi:Stack::"));
    let changed = steps.filter((s) => !UNCHANGED.has(s.op));
    if (changed.length === 0 && pulumiStatus !== 0) changed = steps.filter((s) => s.op === "refresh");
    return changed.map((s) => {
        const urn = String(s.urn ?? "");
        const [type, name] = urn.split("::").slice(-2);
        return {
            op: s.op,
            urn,
            type: type?.split("$").pop() ?? "?",
            name: name ?? urn,
            keys: [...new Set([...(s.diffReasons ?? []), ...Object.keys(s.detailedDiff ?? {})])],
        };
    });
}

/** The report: annotation lines for the log, markdown for the summary, and the exit code. */
function report(text, stack, pulumiStatus) {
    let preview;
    try {
        preview = JSON.parse(text);
    } catch {
        return {
            lines: [
                `::error title=Drift check of ${stack} failed::pulumi preview printed no JSON (exit ${pulumiStatus}); see the log above`,
            ],
            summary: `### Drift check of \`${stack}\`: the preview failed (exit ${pulumiStatus})\n`,
            code: 2,
        };
    }
    const drifted = driftedResources(preview, pulumiStatus);
    if (drifted.length === 0 && pulumiStatus !== 0) {
        const errors = (preview.diagnostics ?? [])
            .filter((d) => d.severity === "error")
            .map((d) => String(d.message).trim());
        return {
            lines: [
                `::error title=Drift check of ${stack} failed::${errors.join(" | ") || `pulumi exited ${pulumiStatus}`}`,
            ],
            summary: `### Drift check of \`${stack}\`: the preview failed (exit ${pulumiStatus})\n\n${errors.map((e) => `- ${e}`).join("\n")}\n`,
            code: 2,
        };
    }
    if (drifted.length === 0) {
        return { lines: [`no drift in ${stack}`], summary: `### Drift check of \`${stack}\`: no drift\n`, code: 0 };
    }
    const lines = drifted.map(
        (d) =>
            `::error title=Drift in ${stack}::${d.op} ${d.type} ${d.name}${d.keys.length ? ` (${d.keys.join(", ")})` : ""}`,
    );
    const rows = drifted.map((d) => `| ${d.op} | \`${d.type}\` | \`${d.name}\` | ${d.keys.join(", ")} |`);
    const summary = [
        `### Drift in \`${stack}\`: ${drifted.length} resource(s) differ from the program`,
        "",
        "What the next `pulumi up` would do to put each back (README: Troubleshooting, a drift report):",
        "",
        "| operation | type | name | properties |",
        "|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
    return { lines, summary, code: 1 };
}

module.exports = { driftedResources, report };

if (require.main === module) {
    const [file, stack, status] = process.argv.slice(2);
    if (!file || !stack) {
        process.stderr.write("usage: drift-report.js <preview.json> <stack> [pulumi exit code]\n");
        process.exit(2);
    }
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const r = report(text, stack, Number(status ?? 0));
    process.stdout.write(`${r.lines.join("\n")}\n`);
    if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, r.summary);
    process.exit(r.code);
}
