// Devices: "cpu", "cuda" or "cuda:N" (CUDA only where libtorch was built with it).
import { native } from "./binding.js";
import { Generator } from "./random.js";

export type Device = "cpu" | "cuda" | `cuda:${number}`;

export const cuda = {
  /** True when libtorch has CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cudaAvailable();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for every queued CUDA kernel (for timing); does nothing without CUDA. */
  synchronize(): void {
    native.cudaSynchronize();
  },
  /** Device `index`'s global generator (random ops on that device without a generator draw from it); needs CUDA. */
  defaultGenerator(index = 0): Generator {
    return new Generator(native.cudaDefaultGenerator(index));
  },
};

/** The device's canonical name: libtorch reports "cuda" as "cuda:0". */
export function canonicalDevice(device: Device): Device {
  return device === "cuda" ? "cuda:0" : device;
}

export function parseDevice(name: string): Device {
  if (name === "cpu" || name === "cuda" || /^cuda:\d+$/.test(name)) return name as Device;
  throw new TypeError(`unknown device '${name}'; use cpu, cuda or cuda:N`);
}
