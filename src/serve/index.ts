// The local web app (`dime serve`) as a library: createServer(options).listen().
export { createServer, type DimeServer } from "./server.js";
export { DEFAULT_LIMITS, type ServeLimits, type ServeOptions } from "./options.js";
export type { JobStatus, JobState } from "./jobs.js";
