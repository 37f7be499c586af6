/**
 * Runs `shellcheck` (Debian's package; `.ci/run` installs it) on a script. Like PostgreSQL for
 * the app's tests, it is a requirement of `npm test`: without it the check fails, saying how to
 * install it, rather than passing or skipping unnoticed.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export function shellcheck(script: string): { status: number | null; output: string } {
    const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (probe.error)
        assert.fail(
            `shellcheck is not installed (${String(probe.error)}): apt-get install -y shellcheck, or run bash .ci/run`,
        );
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "private-app-userdata-")), "user-data.sh");
    fs.writeFileSync(file, script);
    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
