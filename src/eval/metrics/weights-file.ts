// Reading a metric network's weights (LPIPS backbones and heads, the FID Inception) from a
// safetensors file the user gives, with the tensor names of the PyTorch model it came from. A file
// that does not fit is refused before anything is loaded, in one line naming the file and the first
// missing or mis-shaped tensor, so that `dime eval` can print it and report the metric unavailable.
import type { Device, Tensor } from "../../torch/index.js";
import { SafetensorsError, inspectSafetensors, readSafetensors } from "../../io/safetensors.js";

/** A weights file that is missing, unreadable or holds the wrong tensors. */
export class MetricWeightsError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "MetricWeightsError";
  }
}

/**
 * The tensors named in `expected` (name -> shape) from the safetensors file `path`, on `device`;
 * the file's other tensors are not read. `what` names the network in errors ("LPIPS alex
 * backbone"), `howToFix` is the line's last sentence. Throws MetricWeightsError.
 */
export function readWeightsFile(
  path: string,
  what: string,
  expected: ReadonlyMap<string, readonly number[]>,
  howToFix: string,
  device?: Device,
): Map<string, Tensor> {
  let available: Map<string, number[]>;
  try {
    available = new Map(inspectSafetensors(path).tensors.map((t) => [t.name, t.shape]));
  } catch (error) {
    const reason = error instanceof SafetensorsError ? error.problem : (error as Error).message;
    throw new MetricWeightsError(path, `${what} weights ${path}: ${reason}. ${howToFix}`);
  }
  checkNames(path, what, expected, available, howToFix);
  return readSafetensors(path, { names: expected.keys(), device }).tensors;
}

function checkNames(
  path: string,
  what: string,
  expected: ReadonlyMap<string, readonly number[]>,
  available: ReadonlyMap<string, readonly number[]>,
  howToFix: string,
): void {
  const names = [...expected.keys()];
  const missing = names.filter((name) => !available.has(name));
  if (missing.length > 0) {
    const first = missing[0];
    const prefixed = [...available.keys()].find((name) => name.endsWith(`.${first}`));
    const hint =
      prefixed === undefined ? "" : ` (the file has '${prefixed}': write the names without '${prefixed.slice(0, -first.length)}')`;
    const count = missing.length > 1 ? ` and ${missing.length - 1} more of its ${names.length} tensors` : "";
    throw new MetricWeightsError(
      path,
      `${what} weights ${path}: no tensor '${first}' [${expected.get(first)!.join(", ")}]${count}${hint}. ${howToFix}`,
    );
  }
  for (const [name, shape] of expected) {
    const got = available.get(name)!;
    if (got.join() !== shape.join()) {
      throw new MetricWeightsError(
        path,
        `${what} weights ${path}: tensor '${name}' is [${got.join(", ")}], expected [${shape.join(", ")}]. ${howToFix}`,
      );
    }
  }
}
