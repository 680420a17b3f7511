// The process-wide state a test file can change and a later file would inherit when files share a
// process (test/quick.ts): libtorch's thread count, grad and inference mode and global generator,
// the working folder, the environment and signal handlers. (Not process.exitCode: node:test sets it
// when a test fails, and putting it back would hide the failure.)
import { native } from "../../src/torch/binding.js";
import * as torch from "../../src/torch/index.js";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** Variables a library sets for itself when it first loads, whichever file loads it (libvips, under sharp). */
const LIBRARY_ENV = new Set(["VIPSHOME"]);

export interface ProcessState {
  numThreads: number;
  gradEnabled: boolean;
  inferenceMode: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  signalListeners: Record<(typeof SIGNALS)[number], number>;
}

export function captureState(): ProcessState {
  return {
    numThreads: torch.getNumThreads(),
    gradEnabled: torch.isGradEnabled(),
    inferenceMode: native.isInferenceMode(),
    cwd: process.cwd(),
    env: { ...process.env },
    signalListeners: Object.fromEntries(SIGNALS.map((s) => [s, process.listenerCount(s)])) as ProcessState["signalListeners"],
  };
}

/**
 * Puts back what differs from `saved` and returns one phrase per difference ("libtorch threads 1,
 * was 2"), empty when nothing leaked. Signal listeners added since are removed (the newest ones);
 * inference mode cannot be left from outside the scope that entered it, so it is only reported.
 */
export function restoreState(saved: ProcessState): string[] {
  const now = captureState();
  const leaks: string[] = [];
  if (now.numThreads !== saved.numThreads) {
    leaks.push(`libtorch threads ${now.numThreads}, was ${saved.numThreads}`);
    torch.setNumThreads(saved.numThreads);
  }
  if (now.gradEnabled !== saved.gradEnabled) {
    leaks.push(`grad mode ${now.gradEnabled ? "on" : "off"}, was ${saved.gradEnabled ? "on" : "off"}`);
    native.setGradEnabled(saved.gradEnabled);
  }
  if (now.inferenceMode !== saved.inferenceMode) leaks.push(`inference mode ${now.inferenceMode ? "on" : "off"}`);
  if (now.cwd !== saved.cwd) {
    leaks.push(`working folder ${now.cwd}, was ${saved.cwd}`);
    process.chdir(saved.cwd);
  }
  for (const key of new Set([...Object.keys(now.env), ...Object.keys(saved.env)])) {
    if (now.env[key] === saved.env[key] || LIBRARY_ENV.has(key)) continue;
    leaks.push(`environment ${key}=${now.env[key] ?? "(unset)"}, was ${saved.env[key] ?? "(unset)"}`);
    if (saved.env[key] === undefined) delete process.env[key];
    else process.env[key] = saved.env[key];
  }
  for (const signal of SIGNALS) {
    const added = now.signalListeners[signal] - saved.signalListeners[signal];
    if (added === 0) continue;
    leaks.push(`${added} more ${signal} listener(s)`);
    for (const listener of process.listeners(signal).slice(saved.signalListeners[signal])) process.off(signal, listener);
  }
  return leaks;
}
