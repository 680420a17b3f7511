// The two test tiers: `npm test` runs everything; `npm run test:quick` (DIME_TEST_TIER=quick) skips
// the tests tagged SLOW (CLI round trips, training runs, long loops), saying why.

/** node:test options for a slow test or suite: skipped in the quick tier. */
export const SLOW: { skip: false | string } = {
  skip: process.env.DIME_TEST_TIER === "quick" ? "slow tier (CLI round trip, training or long loop): runs in npm test" : false,
};
