// safetensors read and write for dime tensors: files written by the Python `safetensors` package
// load here, and ours load there. The byte-level format lives in safetensors-format.ts; this file
// moves bytes between files and tensors without touching elements one by one in JS: each tensor's
// bytes go to libtorch through one typed-array view.
import { createHash, type Hash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";

import * as torch from "../torch/index.js";
import type { Device, DType, Tensor } from "../torch/index.js";
import { IO_CHUNK, writeAll, writeFileAtomic } from "./atomic-file.js";
import { WriteError } from "./write-errors.js";
import {
  SafetensorsError,
  bytesOfFormat,
  formatOfDType,
  layout,
  lengthPrefix,
  parseHeader,
  readHeaderLength,
  type FormatDType,
  type ParsedHeader,
  type TensorEntry,
} from "./safetensors-format.js";

export { SafetensorsError, type FormatDType } from "./safetensors-format.js";

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  /** The header's "__metadata__" (empty when the file has none). */
  metadata: Record<string, string>;
}

export interface ReadOptions {
  /** Load only these tensors (default: all). A name the file lacks is an error. */
  names?: Iterable<string>;
  /** Where the tensors go (default "cpu"). */
  device?: Device;
  /**
   * The SHA-256 (hex) the whole file must have, e.g. recorded when it was written: hashed while
   * reading (no second pass), checked before any tensor is returned; a mismatch throws
   * `ChecksumError`. Not with `names` (the whole file must be read).
   */
  sha256?: string;
}

/** The checksum the file's whole bytes have (hex SHA-256), for writers that record it. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/** A file whose bytes are not those its checksum was taken of: corrupted on disk or in transit. */
export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    what = "use an earlier checkpoint",
  ) {
    super(`${file} is corrupted: its checksum does not match; ${what}`);
    this.name = "ChecksumError";
  }
}

export interface TensorInfo {
  name: string;
  /** dime's dtype ("float32", ...). */
  dtype: DType;
  /** The file's dtype name ("F32", ...). */
  formatDType: FormatDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the data section that follows the header. */
  dataOffsets: [number, number];
}

export interface SafetensorsInfo {
  /** In data order (by offset). */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  fileSize: number;
}

type TensorMap = Map<string, Tensor> | Record<string, Tensor>;

function requireLittleEndian(file: string): void {
  // Typed arrays use the machine's byte order; the format is little-endian.
  if (endianness() !== "LE") throw new SafetensorsError(file, "dime reads and writes safetensors only on little-endian machines");
}

/**
 * A tensor holding a copy of `bytes` (the entry's little-endian data). Copies once more in JS only
 * when the bytes sit at an offset the typed-array view cannot start at.
 */
function tensorFromBytes(bytes: Uint8Array, entry: TensorEntry, device: Device | undefined): Tensor {
  const size = bytesOfFormat(entry.formatDType);
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  const view = torch.typedArrayView(entry.dtype, aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
  if (entry.dtype !== "bool") return torch.fromArray(view, entry.shape, { dtype: entry.dtype, device });
  // DEVIATION from a raw byte copy: a BOOL byte other than 0/1 would be an invalid libtorch bool,
  // so bytes are read as uint8 and compared with 0 (any non-zero byte is true, as in numpy).
  const raw = torch.fromArray(view, entry.shape, { dtype: "uint8", device });
  try {
    return raw.ne(0);
  } finally {
    raw.dispose();
  }
}

function selectEntries(header: ParsedHeader, names: Iterable<string> | undefined, file: string): TensorEntry[] {
  if (names === undefined) return header.entries;
  const byName = new Map(header.entries.map((e) => [e.name, e]));
  const selected: TensorEntry[] = [];
  for (const name of new Set(names)) {
    const entry = byName.get(name);
    if (entry === undefined) {
      throw new SafetensorsError(file, `no tensor named '${name}' (the file has ${byName.size}; inspectSafetensors() lists them)`);
    }
    selected.push(entry);
  }
  return selected;
}

/** Builds tensors one entry at a time; frees the ones already built if a later one fails. */
function buildTensors(
  entries: readonly TensorEntry[],
  bytesOf: (entry: TensorEntry) => Uint8Array,
  device: Device | undefined,
): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  try {
    for (const entry of entries) tensors.set(entry.name, tensorFromBytes(bytesOf(entry), entry, device));
  } catch (error) {
    torch.dispose(tensors);
    throw error;
  }
  return tensors;
}

function readExactly(fd: number, into: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, Math.min(IO_CHUNK, into.byteLength - done), position + done);
    if (n === 0)
      throw new SafetensorsError(file, `file ended at byte ${position + done} while reading (was it truncated while being read?)`);
    done += n;
  }
}

function openForReading(path: string): number {
  try {
    return openSync(path, "r");
  } catch (error) {
    throw new SafetensorsError(path, `cannot open: ${(error as Error).message}`, { cause: error });
  }
}

function readHeaderFromFile(fd: number, path: string, hash?: Hash): { header: ParsedHeader; fileSize: number } {
  const fileSize = fstatSync(fd).size;
  const prefix = new Uint8Array(Math.min(8, fileSize)); // a shorter file fails in readHeaderLength
  readExactly(fd, prefix, 0, path);
  const n = readHeaderLength(prefix, fileSize, path);
  const headerBytes = new Uint8Array(n);
  readExactly(fd, headerBytes, 8, path);
  hash?.update(prefix).update(headerBytes);
  return { header: parseHeader(headerBytes, fileSize, path), fileSize };
}

/**
 * Reads the header only (a few KB even for multi-GB files) and validates it, so names, shapes and
 * dtypes can be listed without loading any tensor.
 */
export function inspectSafetensors(path: string): SafetensorsInfo {
  const fd = openForReading(path);
  try {
    const { header, fileSize } = readHeaderFromFile(fd, path);
    return {
      tensors: header.entries.map((e) => ({
        name: e.name,
        dtype: e.dtype,
        formatDType: e.formatDType,
        shape: e.shape,
        dataOffsets: [e.begin, e.end],
      })),
      metadata: header.metadata,
      headerLength: header.headerLength,
      fileSize,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads a .safetensors file. The header is validated in full before any tensor is made; then each
 * tensor's bytes are read straight from the file into a fresh buffer and copied into libtorch, so
 * peak JS memory is one tensor, not the whole file. Tensors are owned by the current tidy() scope.
 */
export function readSafetensors(path: string, options: ReadOptions = {}): SafetensorsContents {
  requireLittleEndian(path);
  if (options.sha256 !== undefined && options.names !== undefined)
    throw new TypeError("readSafetensors: sha256 checks the whole file and cannot go with names");
  const fd = openForReading(path);
  try {
    const hash = options.sha256 !== undefined ? createHash("sha256") : undefined;
    const { header } = readHeaderFromFile(fd, path, hash);
    const entries = selectEntries(header, options.names, path);
    // Entries come in data order and tile the data exactly, so hashing them in turn hashes the file.
    const tensors = buildTensors(
      entries,
      (entry) => {
        // Unpooled and not zero-filled: every byte is read over, and the view starts at offset 0.
        const bytes = Buffer.allocUnsafeSlow(entry.end - entry.begin);
        readExactly(fd, bytes, header.dataStart + entry.begin, path);
        hash?.update(bytes);
        return bytes;
      },
      options.device,
    );
    if (hash && hash.digest("hex") !== options.sha256) {
      torch.dispose(tensors);
      throw new ChecksumError(path);
    }
    return { tensors, metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads safetensors from bytes already in memory (a whole file). `source` names it in errors.
 * Each tensor is copied from a view of `bytes` (re-aligned first when its offset requires).
 */
export function readSafetensorsFromBuffer(bytes: Uint8Array, options: ReadOptions & { source?: string } = {}): SafetensorsContents {
  const source = options.source ?? "<buffer>";
  requireLittleEndian(source);
  const n = readHeaderLength(bytes, bytes.byteLength, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength, source);
  const entries = selectEntries(header, options.names, source);
  const tensors = buildTensors(
    entries,
    (entry) => bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end),
    options.device,
  );
  return { tensors, metadata: header.metadata };
}

function entriesOf(
  tensors: TensorMap,
  file: string,
): { name: string; tensor: Tensor; formatDType: FormatDType; shape: readonly number[] }[] {
  const pairs = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  return pairs.map(([name, tensor]) => {
    if (!(tensor instanceof torch.Tensor)) throw new SafetensorsError(file, `'${name}' is not a Tensor`);
    if (tensor.isDisposed) throw new SafetensorsError(file, `tensor '${name}' was disposed before it could be written`);
    return { name, tensor, formatDType: formatOfDType(tensor.dtype), shape: tensor.shape };
  });
}

/**
 * The bytes of one tensor as written: `Tensor.data()` copies through libtorch's
 * detach().to(cpu).contiguous(), so CUDA, non-contiguous and grad-requiring tensors all write
 * their row-major values.
 */
function bytesOf(tensor: Tensor, expected: number, name: string, file: string): Uint8Array {
  const data = tensor.data();
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength !== expected) {
    throw new SafetensorsError(file, `tensor '${name}' gave ${bytes.byteLength} bytes, the header says ${expected}`);
  }
  return bytes;
}

/**
 * The complete file as bytes, laid out exactly as the reference writer lays it out (tensors sorted
 * by dtype alignment then name, header padded with spaces to a multiple of 8).
 */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Uint8Array {
  const source = "<buffer>";
  requireLittleEndian(source);
  const plan = layout(entriesOf(tensors, source), metadata, source);
  const out = new Uint8Array(8 + plan.header.byteLength + plan.dataLength);
  out.set(lengthPrefix(plan.header.byteLength), 0);
  out.set(plan.header, 8);
  const dataStart = 8 + plan.header.byteLength;
  for (const item of plan.order) out.set(bytesOf(item.tensor, item.end - item.begin, item.name, source), dataStart + item.begin);
  return out;
}

/**
 * Writes tensors (a Map or a plain object, name -> tensor) and optional string metadata to `path`,
 * atomically: a temporary file in the same folder is written, fsynced, checked to have every byte
 * and renamed over `path`. Tensors are fetched one at a time, so memory stays at one tensor's
 * copy. Returns the file's size and SHA-256 (hashed as it is written). A failed write throws a
 * `WriteError` ("cannot write PATH: the disk is full ...") and leaves `path` as it was.
 */
export function writeSafetensors(path: string, tensors: TensorMap, metadata?: Record<string, string>): WrittenFile {
  requireLittleEndian(path);
  const plan = layout(entriesOf(tensors, path), metadata, path);
  const hash = createHash("sha256");
  const put = (fd: number, bytes: Uint8Array) => {
    writeAll(fd, bytes);
    hash.update(bytes);
  };
  const total = 8 + plan.header.byteLength + plan.dataLength;
  try {
    writeFileAtomic(
      path,
      (fd) => {
        put(fd, lengthPrefix(plan.header.byteLength));
        put(fd, plan.header);
        for (const item of plan.order) put(fd, bytesOf(item.tensor, item.end - item.begin, item.name, path));
      },
      total,
    );
    return { bytes: total, sha256: hash.digest("hex") };
  } catch (error) {
    if (error instanceof SafetensorsError || error instanceof WriteError) throw error;
    throw new SafetensorsError(path, `cannot write: ${(error as Error).message}`, { cause: error });
  }
}
