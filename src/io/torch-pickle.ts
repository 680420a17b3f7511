// An allow-list unpickler for PyTorch checkpoints, as torch.load(weights_only=True) is: it knows
// the opcodes of pickle protocols 2 to 5 that plain data needs and only the globals a state dict
// needs, and builds values itself. Nothing named by the file is ever looked up or called: a
// global outside the list (os.system, builtins.eval, any class's __reduce__) is refused by name
// before anything else happens, and REDUCE only "calls" the few allowed globals, by building
// their result here.
import type { DType } from "../torch/index.js";
import { PyDict, PyTuple, isTensorRecord, type GlobalRecord, type PyValue, type StorageRecord, type TensorRecord } from "./torch-values.js";

/** Why a pickle was refused; `truncated` when it ended before STOP (more bytes may help). */
export class PickleError extends Error {
  constructor(
    message: string,
    readonly truncated = false,
  ) {
    super(message);
    this.name = "PickleError";
  }
}

/** torch.<Name>Storage -> dtype. Complex and quantized storages are not dime dtypes. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  // torch 2: storages without a dtype of their own (bytes).
  UntypedStorage: "uint8",
};

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch.device",
  "torch.Size",
  ...Object.keys(STORAGE_DTYPES).map((name) => `torch.${name}`),
]);

/** The global `module.name` if the allow-list admits it; otherwise a PickleError naming it. */
function allowedGlobal(module: string, name: string): GlobalRecord {
  const full = `${module}.${name}`;
  if (!ALLOWED_GLOBALS.has(full)) {
    throw new PickleError(
      `refused to load the global ${full}: a checkpoint may only name the globals of a state dict (tensors, storages, OrderedDict); this file would run code on load`,
    );
  }
  const storage = module === "torch" ? STORAGE_DTYPES[name] : undefined;
  return storage ? { kind: "global", name: full, dtype: storage } : { kind: "global", name: full };
}

export interface UnpickleHooks {
  /** BINPERSID: the storage a persistent id names (throws PickleError when it is not one). */
  persistentLoad(pid: PyValue): StorageRecord;
}

export interface Unpickled {
  value: PyValue;
  /** Offset just past the STOP opcode. */
  end: number;
}

const MARK = Symbol("mark");
type StackItem = PyValue | typeof MARK;

/** Caps on what one pickle may build, so a small hostile file cannot ask for huge memory. */
const MAX_MEMO = 50_000_000;
const MAX_TENSOR_DIMS = 64;

/** Reads one pickle from `bytes` at `start` up to its STOP. Throws PickleError. */
export function unpickle(bytes: Uint8Array, start: number, hooks: UnpickleHooks): Unpickled {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pos = start;
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) throw new PickleError(`the pickle ends before its STOP opcode (at byte ${bytes.length})`, true);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`a length of ${v} bytes`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError("the pickle ends inside a text line", true);
    const text = Buffer.from(bytes.subarray(pos, end)).toString("latin1");
    pos = end + 1;
    return text;
  };
  const utf8 = (raw: Uint8Array) => {
    try {
      return decoder.decode(raw);
    } catch {
      throw new PickleError("a string that is not valid UTF-8");
    }
  };
  const pop = (): PyValue => {
    const item = stack.pop();
    if (item === undefined) throw new PickleError("an opcode needs a value but the stack is empty");
    if (item === MARK) throw new PickleError("an opcode met a MARK where it needed a value");
    return item;
  };
  const top = (): PyValue => {
    const item = stack.at(-1);
    if (item === undefined || item === MARK) throw new PickleError("an opcode needs a value but the stack is empty");
    return item;
  };
  const popMark = (): PyValue[] => {
    const at = marks.pop();
    if (at === undefined) throw new PickleError("an opcode needs a MARK but there is none");
    const items = stack.splice(at);
    items.shift(); // the MARK itself
    return items as PyValue[];
  };
  const push = (v: PyValue) => stack.push(v);
  const put = (index: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(index)) throw new PickleError("the memo grows past its limit");
    memo.set(index, top());
  };
  const get = (index: number) => {
    const v = memo.get(index);
    if (v === undefined) throw new PickleError(`memo entry ${index} is read before it is written`);
    push(v);
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict)) throw new PickleError("SETITEM(S) on something that is not a dict");
    if (items.length % 2 !== 0) throw new PickleError("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) dict.set(hashable(items[i]), items[i + 1]);
  };
  const appendItems = (list: PyValue, items: PyValue[]) => {
    if (!Array.isArray(list)) throw new PickleError("APPEND(S) on something that is not a list");
    for (const item of items) list.push(item);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: {
        // PROTO
        const protocol = u8();
        if (protocol < 2 || protocol > 5) throw new PickleError(`pickle protocol ${protocol} (dime reads protocols 2 to 5)`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) throw new PickleError(`STOP with ${stack.length} values on the stack`);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack.at(-1) === MARK) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(longFrom(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) throw new PickleError("LONG4 with a negative length");
        push(longFrom(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(take(u64())));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str), read as latin-1 text as Python 3's default encoding does
        const n = i32();
        if (n < 0) throw new PickleError("BINSTRING with a negative length");
        push(Buffer.from(take(n)).toString("latin1"));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(Buffer.from(take(u8())).toString("latin1"));
        break;
      case 0x42: // BINBYTES
        push(new Uint8Array(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        push(new Uint8Array(take(u8())));
        break;
      case 0x8e: // BINBYTES8
        push(new Uint8Array(take(u64())));
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict(false));
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict(false);
        setItems(dict, popMark());
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        push(allowedGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") throw new PickleError("STACK_GLOBAL without two strings");
        push(allowedGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        push(reduce(callable, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        push(hooks.persistentLoad(pop()));
        break;
      default:
        throw new PickleError(
          `opcode 0x${op.toString(16).padStart(2, "0")} at byte ${pos - 1} is not one plain data needs (dime refuses it, as torch.load(weights_only=True) does)`,
        );
    }
    if (stack.length > bytes.length) throw new PickleError("the stack outgrows the file");
  }
}

/** A dict key: only immutable plain values, as Python requires (a list or dict key is an error). */
function hashable(key: PyValue): PyValue {
  if (key === null || typeof key !== "object" || key instanceof PyTuple) return key;
  throw new PickleError("a dict key that is not hashable");
}

/** A little-endian two's-complement integer of any size: a number when safe, else a bigint. */
function longFrom(raw: Uint8Array): number | bigint {
  if (raw.length === 0) return 0;
  let hex = "";
  for (let i = raw.length - 1; i >= 0; i--) hex += raw[i].toString(16).padStart(2, "0");
  let value = BigInt(`0x${hex}`);
  if (raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function isGlobal(value: PyValue, name?: string): value is GlobalRecord {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (value as GlobalRecord).kind === "global" &&
    (name === undefined || (value as GlobalRecord).name === name)
  );
}

/** REDUCE: the result of "calling" one of the allowed globals, built here without calling anything. */
function reduce(callable: PyValue, args: PyValue): PyValue {
  if (!isGlobal(callable)) throw new PickleError("REDUCE on something that is not an allowed global");
  if (!(args instanceof PyTuple)) throw new PickleError(`REDUCE of ${callable.name} without an argument tuple`);
  const a = args.items;
  switch (callable.name) {
    case "collections.OrderedDict":
      if (a.length !== 0) throw new PickleError("collections.OrderedDict called with arguments");
      return new PyDict(true);
    case "torch.Size":
      return new PyTuple(intList(a.length === 1 ? a[0] : null, "torch.Size"));
    case "torch.device": {
      if (a.length < 1 || a.length > 2 || typeof a[0] !== "string") throw new PickleError("torch.device called without a device name");
      return a.length === 2 && a[1] !== null ? `${a[0]}:${String(a[1])}` : a[0];
    }
    case "torch._utils._rebuild_tensor_v2":
      return rebuildTensor(a);
    case "torch._utils._rebuild_parameter": {
      if (a.length !== 3 || !isTensorRecord(a[0]) || typeof a[1] !== "boolean")
        throw new PickleError("torch._utils._rebuild_parameter with arguments other than (tensor, requires_grad, hooks)");
      return { ...a[0], requiresGrad: a[1], parameter: true };
    }
    default:
      throw new PickleError(`REDUCE of ${callable.name}, which is a storage class, not a function`);
  }
}

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]). */
function rebuildTensor(a: PyValue[]): TensorRecord {
  if (a.length !== 6 && a.length !== 7)
    throw new PickleError(`torch._utils._rebuild_tensor_v2 with ${a.length} arguments (6 or 7 expected)`);
  const [storage, offset, size, stride, requiresGrad, hooks] = a;
  if (typeof storage !== "object" || storage === null || (storage as StorageRecord).kind !== "storage")
    throw new PickleError("a tensor whose storage is not a persistent storage id");
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0)
    throw new PickleError("a tensor with a storage offset that is not an integer >= 0");
  const shape = intList(size, "a tensor's size");
  const strides = intList(stride, "a tensor's stride");
  if (shape.length !== strides.length) throw new PickleError(`a tensor with ${shape.length} sizes but ${strides.length} strides`);
  if (shape.length > MAX_TENSOR_DIMS) throw new PickleError(`a tensor with ${shape.length} dimensions`);
  if (typeof requiresGrad !== "boolean") throw new PickleError("a tensor whose requires_grad is not a boolean");
  if (!(hooks instanceof PyDict) || hooks.size !== 0)
    throw new PickleError("a tensor with backward hooks (code), which dime refuses as torch.load(weights_only=True) does");
  const record = storage as StorageRecord;
  return { kind: "tensor", storage: record, dtype: record.dtype, shape, stride: strides, offset, requiresGrad, parameter: false };
}

/** A tuple (or list) of integers >= 0. */
function intList(value: PyValue, what: string): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items) throw new PickleError(`${what} is not a tuple`);
  return items.map((v) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new PickleError(`${what} holds ${String(v)}, not an integer >= 0`);
    return v;
  });
}

/** BUILD: only an OrderedDict's attributes (a state dict's `_metadata`), as weights_only allows. */
function build(target: PyValue, state: PyValue): void {
  if (!(target instanceof PyDict) || !target.ordered)
    throw new PickleError("BUILD (setting an object's state) on something other than an OrderedDict");
  if (!(state instanceof PyDict)) throw new PickleError("BUILD of an OrderedDict with a state that is not a dict");
  for (const [key, value] of state) {
    if (typeof key !== "string") throw new PickleError("BUILD with an attribute name that is not a string");
    target.attributes.set(key, value);
  }
}

/**
 * A persistent id ('storage', torch.XStorage, key, location, numel[, view_metadata]) as a
 * storage record; `legacy` ids carry the view metadata, which must be None.
 */
export function storageFromPid(pid: PyValue, legacy: boolean): StorageRecord {
  if (!(pid instanceof PyTuple)) throw new PickleError("a persistent id that is not a tuple");
  const [tag, cls, key, location, numel, viewMetadata] = pid.items;
  if (tag !== "storage")
    throw new PickleError(`a persistent id of kind ${typeof tag === "string" ? JSON.stringify(tag) : "?"} (only 'storage' is known)`);
  if (pid.items.length !== (legacy ? 6 : 5)) throw new PickleError(`a storage id with ${pid.items.length} fields`);
  if (!isGlobal(cls) || cls.dtype === undefined) throw new PickleError("a storage id whose type is not a torch storage class");
  if (typeof key !== "string" || key.length === 0 || key.length > 200 || !/^[A-Za-z0-9_.-]+$/.test(key))
    throw new PickleError("a storage id whose key is not a plain name");
  if (typeof location !== "string") throw new PickleError("a storage id whose location is not a string");
  if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0)
    throw new PickleError("a storage id whose size is not an integer >= 0");
  const record: StorageRecord = { kind: "storage", key, dtype: cls.dtype, numel, location };
  // (view_key, offset, size) metadata marks a view of another storage, which torch before 0.4 wrote.
  if (legacy && viewMetadata !== null) throw new PickleError("a storage view (torch before 0.4), which dime does not read");
  return record;
}
