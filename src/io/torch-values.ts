// The values a PyTorch checkpoint's pickle holds, as dime reads them: plain Python data (None,
// booleans, ints, floats, strings, bytes, lists, tuples, dicts) and the records of tensors and
// storages, which name their bytes but hold none (torch-checkpoint.ts reads those).
import type { DType, Tensor } from "../torch/index.js";

/** A Python tuple (a JS array would not tell it from a list). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict or collections.OrderedDict; keys keep their insertion order either way. */
export class PyDict extends Map<PyKey, PyValue> {
  /** Attributes set by the pickle's BUILD on an OrderedDict (a state dict's `_metadata`). */
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly ordered: boolean) {
    super();
  }
}

/** A storage a tensor views: `key` names its bytes (zip: NAME/data/KEY; legacy: the key list). */
export interface StorageRecord {
  readonly kind: "storage";
  key: string;
  dtype: DType;
  /** Elements of dtype. */
  numel: number;
  /** Where torch.save found it ("cpu", "cuda:0"); dime reads every storage to the CPU. */
  location: string;
}

/** A tensor as the pickle describes it: a view (shape, strides, offset, in elements) of a storage. */
export interface TensorRecord {
  readonly kind: "tensor";
  storage: StorageRecord;
  dtype: DType;
  shape: number[];
  stride: number[];
  offset: number;
  requiresGrad: boolean;
  /** Saved as an nn.Parameter (torch._utils._rebuild_parameter). */
  parameter: boolean;
}

/** A global the allow-list admits, kept as a name until REDUCE calls it. */
export interface GlobalRecord {
  readonly kind: "global";
  name: string;
  /** For torch.*Storage classes: the element type. */
  dtype?: DType;
}

export type PyKey = PyValue;
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | TensorRecord
  | StorageRecord
  | GlobalRecord;

/** A checkpoint's value with its tensors read: TensorRecords become Tensors. */
export type TorchValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | TorchValue[]
  | { tuple: TorchValue[] }
  | Map<PyKey, TorchValue>
  | Tensor
  | TensorRecord
  | StorageRecord
  | GlobalRecord;

export function isTensorRecord(value: unknown): value is TensorRecord {
  return typeof value === "object" && value !== null && (value as { kind?: string }).kind === "tensor";
}

/** A dict key as a path component ("generator", "0"), or undefined when it is not a plain key. */
export function keyName(key: PyKey): string | undefined {
  if (typeof key === "string") return key;
  if (typeof key === "number" || typeof key === "bigint") return String(key);
  return undefined;
}

/**
 * Every tensor record in `value` with its dotted path ("generator.first.conv.weight",
 * "optimizer_generator.state.0.exp_avg"): dict keys and list/tuple indices joined by dots.
 */
export function tensorRecords(value: PyValue, prefix = ""): [string, TensorRecord][] {
  const out: [string, TensorRecord][] = [];
  const walk = (v: PyValue, path: string) => {
    const join = (name: string) => (path === "" ? name : `${path}.${name}`);
    if (isTensorRecord(v)) out.push([path, v]);
    else if (v instanceof PyDict) for (const [k, item] of v) walk(item, join(keyName(k) ?? String(k)));
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, join(String(i))));
    else if (v instanceof PyTuple) v.items.forEach((item, i) => walk(item, join(String(i))));
  };
  walk(value, prefix);
  return out;
}

/** Bytes per element of a dtype. */
export function elementSize(dtype: DType): number {
  return { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2, int8: 1, uint8: 1, bool: 1 }[dtype];
}

/** Python's repr-like text of a value's type, for listings and errors. */
export function describeValue(value: PyValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value instanceof Uint8Array) return `bytes (${value.length})`;
  if (Array.isArray(value)) return `list (${value.length})`;
  if (value instanceof PyTuple) return `tuple (${value.items.length})`;
  if (value instanceof PyDict) return `${value.ordered ? "OrderedDict" : "dict"} (${value.size} entries)`;
  if (isTensorRecord(value)) return `tensor ${value.dtype} [${value.shape.join(", ")}]`;
  if (value.kind === "storage") return `storage ${value.dtype} (${value.numel})`;
  return value.name;
}
