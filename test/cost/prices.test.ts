/**
 * The price tables are data a reader can check: every price has a source, a date and a
 * confirmation status; an unconfirmed one says why.
 */
import * as assert from "assert";
import { PRICE_TABLES } from "../../lib/prices";

describe("price tables", () => {
    const regions = Object.keys(PRICE_TABLES);

    it("cover eu-west-1 (the committed stacks) and us-east-1", () => {
        assert.deepStrictEqual(regions.sort(), ["eu-west-1", "us-east-1"]);
    });

    for (const region of regions) {
        const table = PRICE_TABLES[region];
        it(`${region}: every price has a positive amount, an AWS pricing page, a date, a status`, () => {
            assert.strictEqual(table.region, region);
            assert.match(table.priceDate, /^\d{4}-\d{2}-\d{2}$/);
            assert.strictEqual(table.hoursPerMonth, 730);
            for (const [key, p] of Object.entries(table.prices)) {
                assert.ok(p.usd > 0, key);
                assert.match(p.per, /\S/, key);
                assert.match(p.source, /^https:\/\/aws\.amazon\.com\/[a-z0-9/-]+\/$/, key);
                assert.match(p.date, /^\d{4}-\d{2}-\d{2}$/, key);
                assert.ok(p.date <= table.priceDate, `${key}: read after the table's date`);
                assert.ok(["aws-page", "third-party", "unconfirmed"].includes(p.confirmed), key);
                if (p.confirmed !== "aws-page") assert.match(p.note ?? "", /\S{3}/, `${key} says where or why`);
            }
        });
    }

    it("price the same keys in every region (a region never lacks what another has)", () => {
        const [first, ...rest] = regions.map((r) => Object.keys(PRICE_TABLES[r].prices).sort());
        for (const keys of rest) assert.deepStrictEqual(keys, first);
    });
});
