// The two test tiers: `npm test` runs everything; `npm run test:quick` (DIME_TEST_TIER=quick) skips
// the tests tagged SLOW (CLI round trips, training runs, long loops, large nets), saying why.

/** True in the quick tier: for a test that runs a smaller case there (fewer fuzz cases, say). */
export const QUICK = process.env.DIME_TEST_TIER === "quick";

/** node:test options for a slow test or suite: skipped in the quick tier. */
export const SLOW: { skip: false | string } = {
  skip: QUICK ? "slow (a CLI round trip, training, a long loop or a large net): runs in npm test, not test:quick" : false,
};
