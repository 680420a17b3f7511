// PyTorch checkpoint files (.pth, .pth.tar, .pt) read without Python, in both formats torch.save
// has written: the zip format of torch >= 1.6 (NAME/data.pkl, NAME/data/KEY, NAME/byteorder) and
// the legacy format of torch 0.4 to 1.5 (five pickles: magic number, protocol, system info, the
// object, the storage keys; then each storage's element count and bytes). The pickles go through
// the allow-list unpickler (torch-pickle.ts), so nothing in the file can run; then each storage is
// read once, straight from the file into one reused buffer, byte-swapped when the file is
// big-endian, and handed to libtorch in one copy; tensors are views of their storage (shared
// storages stay shared), and a tensor that reaches past its storage is an error, not a read past
// its end. Every failure is a TorchCheckpointError: one line naming the file and the reason.
import { closeSync, fstatSync, openSync } from "node:fs";
import { endianness } from "node:os";

import * as torch from "../torch/index.js";
import type { Device, Tensor } from "../torch/index.js";
import { PickleError, storageFromPid, unpickle, type UnpickleHooks } from "./torch-pickle.js";
import {
  PyDict,
  PyTuple,
  elementSize,
  isTensorRecord,
  tensorRecords,
  type PyValue,
  type StorageRecord,
  type TensorRecord,
  type TorchValue,
} from "./torch-values.js";
import { ZipError, readAt, readZipEntries, readZipEntry, type ZipEntry } from "./zip-entries.js";

/** A checkpoint dime cannot or will not read; the message is one line: "FILE: reason". */
export class TorchCheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "TorchCheckpointError";
  }
}

export type TorchFormat = "zip" | "legacy";

/** Where one storage's bytes lie in the file. */
export interface StorageLayout {
  record: StorageRecord;
  bytes: number;
  /** Byte offset of the data in the file (legacy, and stored zip entries). */
  offset: number;
  /** The zip entry holding it (zip format). */
  entry?: ZipEntry;
}

/** A checkpoint's structure, read without its tensor data. */
export interface TorchCheckpointInfo {
  path: string;
  format: TorchFormat;
  fileSize: number;
  /** The unpickled object, tensors as records (dtype, shape, strides, offset, storage). */
  value: PyValue;
  /** Every tensor by dotted path ("generator.first.conv.weight"). */
  tensors: [string, TensorRecord][];
  /** Storages by key, in file order. */
  storages: Map<string, StorageLayout>;
  /** false when the storages are big-endian (zip byteorder "big"); they are swapped on read. */
  littleEndian: boolean;
  /** Bytes of every storage together. */
  storageBytes: number;
}

/** A checkpoint read whole. */
export interface TorchCheckpoint {
  path: string;
  format: TorchFormat;
  /** The object torch.save was given, with Tensors for tensors, Maps for dicts, {tuple} for tuples. */
  value: TorchValue;
  /** Every tensor by dotted path; they are the same Tensors as in `value` (one owner: dispose once). */
  tensors: Map<string, Tensor>;
}

export interface ReadTorchOptions {
  /** Where the tensors go (default cpu). */
  device?: Device;
  /**
   * Read only the tensors whose dotted path this accepts (and only their storages); the others
   * stay TensorRecords in `value` and are left out of `tensors`.
   */
  select?: (name: string) => boolean;
}

/** torch.save's legacy magic number and protocol version. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** A pickle this large is not a state dict's; refusing it bounds the memory a hostile file can ask for. */
const MAX_PICKLE_BYTES = 1 << 30;

function fail(path: string, error: unknown): never {
  if (error instanceof TorchCheckpointError) throw error;
  if (error instanceof PickleError || error instanceof ZipError) throw new TorchCheckpointError(path, error.message);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") throw new TorchCheckpointError(path, "no such file");
  if (code === "EISDIR") throw new TorchCheckpointError(path, "is a folder, not a checkpoint file");
  if (code === "EACCES") throw new TorchCheckpointError(path, "cannot be read (permission denied)");
  if (error instanceof RangeError) throw new TorchCheckpointError(path, `damaged (${error.message})`);
  throw error;
}

/** Runs `fn` on the open file, turning every failure into a TorchCheckpointError. */
function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new TorchCheckpointError(path, "is a folder, not a checkpoint file");
    return fn(fd, stat.size);
  } catch (error) {
    return fail(path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads a checkpoint's structure: entries, tensor names, dtypes, shapes, storages. No tensor data is read. */
export function inspectTorchCheckpoint(path: string): TorchCheckpointInfo {
  return withFile(path, (fd, size) => inspectOpen(path, fd, size));
}

/**
 * Reads a PyTorch checkpoint: the object torch.save was given, with its tensors. Throws a
 * TorchCheckpointError (one line naming the file and the reason) for anything it refuses.
 */
export function readTorchCheckpoint(path: string, options: ReadTorchOptions = {}): TorchCheckpoint {
  return withFile(path, (fd, size) => {
    const info = inspectOpen(path, fd, size);
    const select = options.select;
    const chosen = select ? info.tensors.filter(([name]) => select(name)) : info.tensors;
    const byRecord = readTensors(path, fd, info, chosen, options.device);
    const value = withTensors(info.value, byRecord);
    const tensors = new Map<string, Tensor>();
    for (const [name, record] of chosen) tensors.set(name, byRecord.get(record)!);
    return { path, format: info.format, value, tensors };
  });
}

function inspectOpen(path: string, fd: number, size: number): TorchCheckpointInfo {
  if (size < 4) throw new TorchCheckpointError(path, `not a PyTorch checkpoint (${size} bytes)`);
  const head = readAt(fd, 0, Math.min(size, 512));
  if (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50) return inspectZip(path, fd, size);
  if (head.length >= 262 && head.toString("latin1", 257, 262) === "ustar")
    throw new TorchCheckpointError(path, "a tar archive (torch.save before 0.4), which dime does not read: re-save it with a newer torch");
  if (head[0] === 0x80) return inspectLegacy(path, fd, size);
  throw new TorchCheckpointError(path, "not a PyTorch checkpoint (neither a zip archive nor torch.save's legacy pickle)");
}

/** Collects the storages the object pickle names, checking that each key keeps one dtype and size. */
function storageCollector(legacy: boolean): UnpickleHooks & { storages: Map<string, StorageRecord> } {
  const storages = new Map<string, StorageRecord>();
  return {
    storages,
    persistentLoad(pid) {
      const record = storageFromPid(pid, legacy);
      const known = storages.get(record.key);
      if (!known) {
        storages.set(record.key, record);
        return record;
      }
      if (known.dtype !== record.dtype || known.numel !== record.numel)
        throw new PickleError(`storage ${record.key} is named twice with different types or sizes`);
      return known;
    },
  };
}

const NO_STORAGES: UnpickleHooks = {
  persistentLoad() {
    throw new PickleError("a persistent id outside the object pickle");
  },
};

function inspectZip(path: string, fd: number, size: number): TorchCheckpointInfo {
  const entries = readZipEntries(fd, size);
  const pickle = [...entries.values()].find((e) => e.name === "data.pkl" || e.name.endsWith("/data.pkl"));
  if (!pickle) throw new TorchCheckpointError(path, "a zip archive without data.pkl: not a torch.save checkpoint");
  const prefix = pickle.name.slice(0, -"data.pkl".length);
  if (pickle.size > MAX_PICKLE_BYTES)
    throw new TorchCheckpointError(path, `data.pkl is ${pickle.size} bytes, past the ${MAX_PICKLE_BYTES} a state dict needs`);
  const collector = storageCollector(false);
  const { value } = unpickle(readZipEntry(fd, pickle), 0, collector);

  let littleEndian = true;
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const text = byteorder.size <= 16 ? readZipEntry(fd, byteorder).toString("latin1") : "";
    if (text !== "little" && text !== "big")
      throw new TorchCheckpointError(path, `unknown byte order ${JSON.stringify(text.slice(0, 16))} in ${byteorder.name}`);
    littleEndian = text === "little";
  }
  const layouts: StorageLayout[] = [];
  for (const record of collector.storages.values()) {
    const name = `${prefix}data/${record.key}`;
    const entry = entries.get(name);
    if (!entry) throw new TorchCheckpointError(path, `storage ${name} is missing: data.pkl names it but the archive does not hold it`);
    const bytes = record.numel * elementSize(record.dtype);
    if (entry.size < bytes)
      throw new TorchCheckpointError(
        path,
        `storage ${name} holds ${entry.size} bytes but is declared as ${record.numel} ${record.dtype} elements (${bytes} bytes): the file is damaged`,
      );
    layouts.push({ record, bytes, offset: entry.dataOffset, entry });
  }
  layouts.sort((a, b) => a.offset - b.offset);
  return finish(path, "zip", size, value, layouts, littleEndian);
}

function inspectLegacy(path: string, fd: number, size: number): TorchCheckpointInfo {
  // The pickles come first; their length is known only by parsing them, so parse a prefix and
  // grow it while a pickle runs off its end (unpickling has no side effects to undo).
  let length = Math.min(size, 1 << 16);
  for (;;) {
    const bytes = readAt(fd, 0, length);
    try {
      return parseLegacy(path, fd, size, bytes);
    } catch (error) {
      if (!(error instanceof PickleError && error.truncated) || length === size) throw error;
      if (length >= MAX_PICKLE_BYTES)
        throw new TorchCheckpointError(path, `the pickles run past ${MAX_PICKLE_BYTES} bytes, which no state dict needs`);
      length = Math.min(size, length * 4);
    }
  }
}

function parseLegacy(path: string, fd: number, size: number, bytes: Buffer): TorchCheckpointInfo {
  const magic = unpickle(bytes, 0, NO_STORAGES);
  if (magic.value !== LEGACY_MAGIC)
    throw new TorchCheckpointError(path, "not a PyTorch checkpoint (a pickle, but without torch.save's magic number)");
  const protocol = unpickle(bytes, magic.end, NO_STORAGES);
  if (protocol.value !== LEGACY_PROTOCOL)
    throw new TorchCheckpointError(path, `torch.save protocol version ${String(protocol.value)} (dime reads ${LEGACY_PROTOCOL})`);
  const sysInfo = unpickle(bytes, protocol.end, NO_STORAGES);
  if (!(sysInfo.value instanceof PyDict)) throw new TorchCheckpointError(path, "damaged: the system-info pickle is not a dict");
  const collector = storageCollector(true);
  const object = unpickle(bytes, sysInfo.end, collector);
  const keys = unpickle(bytes, object.end, NO_STORAGES);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string"))
    throw new TorchCheckpointError(path, "damaged: the storage-key list is not a list of strings");
  // Storages follow in the list's order, each as an int64 element count then its bytes; torch
  // writes them little-endian whatever the machine (THPStorage_writeFileRaw).
  const layouts: StorageLayout[] = [];
  let position = keys.end;
  const seen = new Set<string>();
  for (const key of keys.value as string[]) {
    const record = collector.storages.get(key);
    if (!record) throw new TorchCheckpointError(path, `damaged: storage ${key} is in the key list but no tensor names it`);
    if (seen.has(key)) throw new TorchCheckpointError(path, `damaged: storage ${key} is listed twice`);
    seen.add(key);
    if (position + 8 > size) throw new TorchCheckpointError(path, `truncated: the file ends before storage ${key}`);
    const count = readAt(fd, position, 8).readBigInt64LE(0);
    if (count !== BigInt(record.numel))
      throw new TorchCheckpointError(
        path,
        `storage ${key} holds ${count} elements but is declared with ${record.numel}: the file is damaged`,
      );
    const bytes = record.numel * elementSize(record.dtype);
    if (position + 8 + bytes > size)
      throw new TorchCheckpointError(path, `truncated: storage ${key} runs past the end of the file (${size} bytes)`);
    layouts.push({ record, bytes, offset: position + 8 });
    position += 8 + bytes;
  }
  for (const key of collector.storages.keys())
    if (!seen.has(key))
      throw new TorchCheckpointError(path, `storage ${key} is missing: the object names it but the file does not hold it`);
  return finish(path, "legacy", size, object.value, layouts, true);
}

/** Checks every tensor against its storage and assembles the info. */
function finish(
  path: string,
  format: TorchFormat,
  fileSize: number,
  value: PyValue,
  layouts: StorageLayout[],
  littleEndian: boolean,
): TorchCheckpointInfo {
  const tensors = tensorRecords(value);
  for (const [name, record] of tensors) {
    const need = extent(record);
    if (need > record.storage.numel) {
      throw new TorchCheckpointError(
        path,
        `tensor ${name || "(top level)"} [${record.shape.join(", ")}] needs ${need} elements of storage ${record.storage.key}, which holds ${record.storage.numel}: the storage is shorter than its tensor`,
      );
    }
  }
  const storages = new Map(layouts.map((l) => [l.record.key, l]));
  const storageBytes = layouts.reduce((sum, l) => sum + l.bytes, 0);
  return { path, format, fileSize, value, tensors, storages, littleEndian, storageBytes };
}

/** Elements of its storage a tensor reaches: offset + sum (size - 1) stride + 1 (0 when empty). */
function extent(record: TensorRecord): number {
  if (record.shape.some((s) => s === 0)) return 0;
  let last = record.offset;
  for (let d = 0; d < record.shape.length; d++) last += (record.shape[d] - 1) * record.stride[d];
  if (!Number.isSafeInteger(last)) return Infinity;
  return last + 1;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isContiguous(record: TensorRecord): boolean {
  let expected = 1;
  for (let d = record.shape.length - 1; d >= 0; d--) {
    if (record.shape[d] !== 1 && record.stride[d] !== expected) return false;
    expected *= record.shape[d];
  }
  return true;
}

/**
 * Reads every storage once, in file order, and builds the tensors as views of them: contiguous
 * tensors share their storage's memory; other strides are gathered by index into a contiguous
 * tensor of the same values. Stored little-endian data goes from the file straight into libtorch's
 * memory (torch.fromFile); big-endian or deflated storages pass through one reused buffer sized
 * for the largest, where they are swapped or inflated.
 */
function readTensors(
  path: string,
  fd: number,
  info: TorchCheckpointInfo,
  chosen: [string, TensorRecord][],
  device: Device | undefined,
): Map<TensorRecord, Tensor> {
  const byStorage = new Map<string, TensorRecord[]>();
  for (const [, record] of chosen) {
    const list = byStorage.get(record.storage.key) ?? [];
    list.push(record);
    byStorage.set(record.storage.key, list);
  }
  const direct = (l: StorageLayout) => info.littleEndian && endianness() === "LE" && (!l.entry || l.entry.method === 0);
  const buffered = [...info.storages.values()].filter((l) => byStorage.has(l.record.key) && !direct(l));
  // Unpooled, so its start is 8-byte aligned for every typed-array view.
  const scratch = Buffer.allocUnsafeSlow(Math.max(8, ...buffered.map((l) => l.bytes)));
  return torch.tidy(() => {
    const out = new Map<TensorRecord, Tensor>();
    for (const layout of info.storages.values()) {
      const records = byStorage.get(layout.record.key) ?? [];
      if (records.length === 0) continue;
      const dtype = layout.record.dtype;
      const raw = dtype === "bool" ? "uint8" : dtype;
      let storage: Tensor;
      if (direct(layout)) {
        try {
          storage = torch.fromFile(fd, layout.offset, [layout.record.numel], raw);
        } catch (error) {
          // The file changed since it was inspected (inspection checked every storage's extent).
          throw new TorchCheckpointError(path, `storage ${layout.record.key}: ${(error as Error).message.replace(/^[^:]*: /, "")}`);
        }
        if (device !== undefined && device !== "cpu") storage = storage.to(device);
      } else {
        storage = bufferedStorage(fd, layout, scratch, info.littleEndian, device);
      }
      // A bool byte other than 0/1 would be an invalid libtorch bool: compare with 0 instead.
      if (dtype === "bool") storage = storage.ne(0);
      for (const record of records) out.set(record, tensorView(storage, record));
    }
    for (const [, record] of chosen) {
      if (!out.has(record)) out.set(record, torch.empty(record.shape, { dtype: record.dtype, device }));
    }
    return out;
  });
}

/** A storage read through `scratch`: inflated when deflated, swapped when big-endian. */
function bufferedStorage(fd: number, layout: StorageLayout, scratch: Buffer, littleEndian: boolean, device: Device | undefined): Tensor {
  const dtype = layout.record.dtype;
  const data = scratch.subarray(0, layout.bytes);
  if (layout.entry && layout.entry.method !== 0) data.set(readZipEntry(fd, layout.entry).subarray(0, layout.bytes));
  else readAt(fd, layout.offset, layout.bytes, data);
  const size = elementSize(dtype);
  if (littleEndian !== (endianness() === "LE") && size > 1) {
    if (size === 2) data.swap16();
    else if (size === 4) data.swap32();
    else data.swap64();
  }
  const raw = dtype === "bool" ? "uint8" : dtype;
  return torch.fromArray(torch.typedArrayView(raw, data.buffer, data.byteOffset, layout.record.numel), [layout.record.numel], {
    dtype: raw,
    device,
  });
}

/** The tensor a record describes, from its storage (1-D, all elements). */
function tensorView(storage: Tensor, record: TensorRecord): Tensor {
  const n = numel(record.shape);
  if (n === 0) return torch.empty(record.shape, { dtype: record.dtype, device: storage.device });
  if (isContiguous(record)) return storage.narrow(0, record.offset, n).view(...record.shape);
  let index = torch.full([], record.offset, { dtype: "int64", device: storage.device });
  record.shape.forEach((size, d) => {
    const shape = record.shape.map((_, i) => (i === d ? size : 1));
    index = index.add(
      torch
        .arange(0, size, 1, { dtype: "int64", device: storage.device })
        .mul(record.stride[d])
        .view(...shape),
    );
  });
  return storage.indexSelect(0, index.reshape(-1)).view(...record.shape);
}

/** The value with each tensor record replaced by its tensor. */
function withTensors(value: PyValue, tensors: ReadonlyMap<TensorRecord, Tensor>): TorchValue {
  if (isTensorRecord(value)) return tensors.get(value) ?? value;
  if (value instanceof PyDict) {
    const out = new Map<PyValue, TorchValue>();
    for (const [k, v] of value) out.set(k, withTensors(v, tensors));
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => withTensors(v, tensors));
  if (value instanceof PyTuple) return { tuple: value.items.map((v) => withTensors(v, tensors)) };
  return value;
}
