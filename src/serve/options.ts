// What `createServer` takes: where to listen, where models and the work folder are, and the
// limits that keep uploads and the work folder bounded (defaults documented in docs/serve.md).

export interface ServeLimits {
  /** Largest picture upload in bytes (default 20 MiB). */
  pictureBytes: number;
  /** Largest video upload in bytes (default 200 MiB). */
  videoBytes: number;
  /** Most frames a driving video may have (default 3000: two minutes at 25 fps). */
  videoFrames: number;
  /** Largest picture or video frame side in pixels (default 4096). */
  side: number;
  /** The work folder's size cap in bytes (default 2 GiB); the oldest results go first. */
  workBytes: number;
  /** Jobs waiting per model beyond the running one (default 20). */
  queue: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  pictureBytes: 20 * 2 ** 20,
  videoBytes: 200 * 2 ** 20,
  videoFrames: 3000,
  side: 4096,
  workBytes: 2 * 2 ** 30,
  queue: 20,
};

export interface ServeOptions {
  /** Default 7860 (0: any free port). */
  port?: number;
  /** Default 127.0.0.1; anything else is reachable by others and `dime serve` warns. */
  host?: string;
  /** A folder searched for checkpoints (step-NNNNNN.json sidecars), besides the shipped demo model. */
  modelsDir?: string;
  /**
   * Uploads and results live here, under random names. Default: a new folder in the system's
   * temp folder, removed when the server closes.
   */
  workDir?: string;
  limits?: Partial<ServeLimits>;
  /** Driving frames per batch of a file job (default 8). */
  batch?: number;
  /** Where each line of the server's log goes (default: nowhere). */
  log?: (line: string) => void;
}
