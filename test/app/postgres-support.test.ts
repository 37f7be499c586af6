import { strict as assert } from "node:assert";
import { findPostgresBin, INSTALL_HINT } from "../support/postgres";

describe("app test support: PostgreSQL server binaries", () => {
    it("are found on this machine (the app tests need a real server)", () => {
        assert.match(findPostgresBin(), /bin$/);
    });

    it("when missing, the tests fail with how to install them", () => {
        assert.throws(
            () =>
                findPostgresBin({ pgBin: undefined, debianRoot: "/nonexistent/postgresql", path: "/nonexistent/bin" }),
            (e: Error) => e.message === INSTALL_HINT && e.message.includes("apt-get install postgresql"),
        );
    });
});
