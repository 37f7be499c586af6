/**
 * `npm run docs`: regenerates the config reference in README.md from lib/config-reference.ts.
 * `npm run docs -- --check`: exits 1 when README.md is not up to date (tests run this check).
 */
import * as fs from "fs";
import * as path from "path";
import { withReference } from "../lib/config-reference";

const readmePath = path.resolve(__dirname, "..", "README.md");
const current = fs.readFileSync(readmePath, "utf8");
const next = withReference(current);
if (process.argv.includes("--check")) {
    if (next !== current) {
        process.stderr.write("README.md's config reference is out of date: run `npm run docs`\n");
        process.exit(1);
    }
} else if (next !== current) {
    fs.writeFileSync(readmePath, next);
    process.stdout.write("README.md: config reference updated\n");
}
