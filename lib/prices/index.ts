/**
 * The price tables, by region. A region missing here has no prices: its estimate says the
 * cost is unknown instead of borrowing another region's (lib/cost.ts).
 */
import { EU_WEST_1 } from "./eu-west-1";
import { US_EAST_1 } from "./us-east-1";
import { PriceTable } from "./types";

export type { Confirmation, Price, PriceTable } from "./types";

export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = {
    [EU_WEST_1.region]: EU_WEST_1,
    [US_EAST_1.region]: US_EAST_1,
};
