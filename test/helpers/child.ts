// Watching a child process from a test: its output collected as it comes, a wait (with a timeout)
// until it has printed what the test waits for, a signal then, and its exit code.
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface WatchedChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far (a test may reset them to collect from a point on). */
  stdout: string;
  stderr: string;
  /** Its exit code; null when a signal ended it. */
  exited: Promise<number | null>;
}

/** Starts collecting `child`'s output; call it right after the spawn. */
export function watchChild(child: ChildProcessWithoutNullStreams): WatchedChild {
  const watched: WatchedChild = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  child.stdout.on("data", (chunk) => (watched.stdout += chunk));
  child.stderr.on("data", (chunk) => (watched.stderr += chunk));
  return watched;
}

/**
 * Polls until `ready(watched)` holds.
 * @throws naming `what` with the child's stderr when it exits first or `timeoutMs` passes.
 */
export async function waitFor(
  watched: WatchedChild,
  ready: (watched: WatchedChild) => boolean,
  what: string,
  timeoutMs = 90_000,
): Promise<void> {
  const started = Date.now();
  while (!ready(watched)) {
    const { exitCode, signalCode } = watched.child;
    if (exitCode !== null || signalCode !== null) throw new Error(`exited (${exitCode ?? signalCode}) before ${what}: ${watched.stderr}`);
    if (Date.now() - started > timeoutMs) throw new Error(`no ${what} within ${timeoutMs / 1000} s: ${watched.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until `ready(stderr)` holds, sends `signal` (to the child's process group with `group`: a
 * child spawned `detached`, as a shell runs a foreground job), and returns its exit code and output.
 */
export async function signalWhen(
  child: ChildProcessWithoutNullStreams,
  ready: (stderr: string) => boolean,
  signal: NodeJS.Signals,
  { group = false, timeoutMs = 90_000 } = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const watched = watchChild(child);
  await waitFor(watched, (w) => ready(w.stderr), "the moment to signal", timeoutMs);
  if (group) process.kill(-child.pid!, signal);
  else child.kill(signal);
  return { code: await watched.exited, stderr: watched.stderr, stdout: watched.stdout };
}
