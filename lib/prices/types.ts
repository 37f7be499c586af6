/**
 * The shape of a price table: one file per region (`lib/prices/<region>.ts`), pure data.
 *
 * Every price records where it comes from and how sure we are of it, so that a reader of an
 * estimate can check it: `source` is the AWS pricing page that lists it, `date` the day it was
 * read, and `confirmed` says what the figure was checked against. AWS's pricing pages render
 * regional rates with JavaScript from the Price List API; where the stored copy of a page (or a
 * dated third-party page quoting it) did not show this region's figure, `confirmed` is
 * `"unconfirmed"` and `note` says so: check those against the AWS page or the Price List API
 * (`aws pricing get-products`) before relying on them.
 */

/** How a price was checked. */
export type Confirmation =
    /** Read on AWS's own page (a stored copy). */
    | "aws-page"
    /** Read on a dated third-party page quoting AWS's list price for this region. */
    | "third-party"
    /** Not found in any stored page: the list price as known to the author; check it. */
    | "unconfirmed";

export interface Price {
    /** US dollars per `per`. */
    readonly usd: number;
    /** The billing unit: "hour", "GB-month", "month", "GB", "1M requests", "10K requests", ... */
    readonly per: string;
    /** The AWS pricing page that lists this price. */
    readonly source: string;
    /** When it was read (YYYY-MM-DD). */
    readonly date: string;
    readonly confirmed: Confirmation;
    /** Where it was confirmed (a third-party page), or why it could not be. */
    readonly note?: string;
}

/** The prices of one region. Keys are documented in `lib/cost.ts` (`PRICE_KEYS`). */
export interface PriceTable {
    readonly region: string;
    readonly currency: "USD";
    /** The date of the table: when its prices were last read (YYYY-MM-DD). */
    readonly priceDate: string;
    /** Hours in a billing month, as AWS's calculator counts them. */
    readonly hoursPerMonth: number;
    /** On-demand prices. RDS/Aurora instance classes: `rds.postgres.<class>`, `aurora.<class>`; EC2: `ec2.<type>`. */
    readonly prices: Readonly<Record<string, Price>>;
}
