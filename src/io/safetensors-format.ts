// The safetensors file format (huggingface/safetensors), byte level: the dtype table, the header
// parser with every check the reference reader makes, and the header builder in the reference
// writer's tensor order and padding. Nothing here touches tensors; safetensors.ts does.
//
// Layout: 8 bytes little-endian u64 N | N bytes UTF-8 JSON header | data. The header maps each
// tensor name to {dtype, shape, data_offsets: [begin, end]} (byte offsets into the data, which
// starts right after the header), plus an optional "__metadata__" object of string -> string.
import type { DType } from "../torch/index.js";

/** A safetensors file dime cannot read or write: names the file, the problem and what to do. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problem}`, options);
    this.name = "SafetensorsError";
  }
}

/** The format's dtype names that dime reads and writes. */
export type FormatDType = "BOOL" | "U8" | "I8" | "I16" | "F16" | "BF16" | "I32" | "F32" | "F64" | "I64";

interface DTypeEntry {
  dtype: DType;
  bytes: number;
  /**
   * Position in the reference's `Dtype` enum, which is declared in increasing alignment
   * (BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64). The
   * reference writer orders tensors by this position descending, then by name.
   */
  rank: number;
}

const FORMAT: Record<FormatDType, DTypeEntry> = {
  BOOL: { dtype: "bool", bytes: 1, rank: 0 },
  U8: { dtype: "uint8", bytes: 1, rank: 1 },
  I8: { dtype: "int8", bytes: 1, rank: 2 },
  I16: { dtype: "int16", bytes: 2, rank: 5 },
  F16: { dtype: "float16", bytes: 2, rank: 7 },
  BF16: { dtype: "bfloat16", bytes: 2, rank: 8 },
  I32: { dtype: "int32", bytes: 4, rank: 9 },
  F32: { dtype: "float32", bytes: 4, rank: 11 },
  F64: { dtype: "float64", bytes: 8, rank: 12 },
  I64: { dtype: "int64", bytes: 8, rank: 13 },
};
const FROM_DTYPE = new Map<DType, FormatDType>(Object.entries(FORMAT).map(([name, e]) => [e.dtype, name as FormatDType]));
const SUPPORTED = Object.keys(FORMAT).join(", ");

/** The reference reader refuses headers above 100 MB; so do we (a corrupt length is the usual cause). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

export function isFormatDType(name: string): name is FormatDType {
  return Object.hasOwn(FORMAT, name);
}
export function dtypeOfFormat(name: FormatDType): DType {
  return FORMAT[name].dtype;
}
export function formatOfDType(dtype: DType): FormatDType {
  const name = FROM_DTYPE.get(dtype);
  if (name === undefined) throw new TypeError(`dtype '${dtype}' has no safetensors name (dime writes ${SUPPORTED})`);
  return name;
}
export function bytesOfFormat(name: FormatDType): number {
  return FORMAT[name].bytes;
}

/** One tensor as the header describes it; `begin`/`end` are byte offsets into the data section. */
export interface TensorEntry {
  name: string;
  formatDType: FormatDType;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** In data order (by offset), which is the order a reader should copy them in. */
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** N, the header's length in bytes (padding included). */
  headerLength: number;
  /** Where the data section starts in the file: 8 + N. */
  dataStart: number;
  /** Bytes after the header: must be exactly what the tensors cover. */
  dataLength: number;
}

/**
 * Reads N from the first 8 bytes and checks it against the file size. Returns N as a number
 * (files are far below 2^53 bytes).
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(
      file,
      `file is ${fileSize} bytes, too short to hold the 8-byte header length (not a safetensors file, or truncated)`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new SafetensorsError(
      file,
      `header length ${n} is larger than the file (${fileSize} bytes): not a safetensors file, or truncated`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit of the format's reference reader`);
  }
  return Number(n);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Elements times bytes per element, or undefined when it passes 2^53 (a corrupt shape). */
function byteSize(shape: readonly number[], bytes: number): number | undefined {
  if (shape.includes(0)) return 0;
  let n = bytes;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

function parseEntry(name: string, info: unknown, file: string): TensorEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(info))
    throw new SafetensorsError(file, `${where}: header entry is ${describe(info)}, expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string")
    throw new SafetensorsError(file, `${where}: 'dtype' is ${describe(dtype)}, expected a string such as "F32"`);
  if (!isFormatDType(dtype))
    throw new SafetensorsError(file, `${where}: unknown or unsupported dtype '${dtype}' (dime reads ${SUPPORTED})`);
  if (!Array.isArray(shape) || !shape.every(isSize)) {
    throw new SafetensorsError(file, `${where}: 'shape' is ${JSON.stringify(shape)}, expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) {
    throw new SafetensorsError(
      file,
      `${where}: 'data_offsets' is ${JSON.stringify(offsets)}, expected [begin, end] with non-negative integers`,
    );
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw new SafetensorsError(file, `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const needed = byteSize(shape, FORMAT[dtype].bytes);
  if (needed === undefined) throw new SafetensorsError(file, `${where}: shape [${shape.join(", ")}] is too large to address`);
  if (end - begin !== needed) {
    throw new SafetensorsError(
      file,
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape.join(", ")}] of ${dtype} needs ${needed}`,
    );
  }
  return { name, formatDType: dtype, dtype: FORMAT[dtype].dtype, shape: shape as number[], begin, end };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) throw new SafetensorsError(file, `'${METADATA_KEY}' is ${describe(value)}, expected an object of strings`);
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw new SafetensorsError(file, `'${METADATA_KEY}' value for '${key}' is ${describe(item)}; the format allows only string values`);
    }
    // defineProperty, not assignment: a key named "__proto__" must stay an ordinary key.
    Object.defineProperty(metadata, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return metadata;
}

/**
 * Parses and validates the N header bytes of a file of `fileSize` bytes: valid UTF-8 and JSON, a
 * JSON object, known dtypes, byte sizes matching shape x dtype, offsets that tile the data section
 * exactly (sorted by offset they start at 0, each begins where the previous ended, and the last
 * ends at the end of the file), string metadata values.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): ParsedHeader {
  const headerLength = headerBytes.byteLength;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(file, "header is not valid UTF-8 (not a safetensors file, or corrupt)");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(file, `header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(json)) throw new SafetensorsError(file, `header is ${describe(json)}, expected a JSON object`);

  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(info, file);
    else entries.push(parseEntry(name, info, file));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  let covered = 0;
  let previous: TensorEntry | undefined;
  for (const entry of entries) {
    const span = `data bytes [${entry.begin}, ${entry.end})`;
    if (entry.begin < covered) {
      throw new SafetensorsError(
        file,
        `tensor '${entry.name}' (${span}) overlaps tensor '${previous?.name}' (data bytes [${previous?.begin}, ${previous?.end}))`,
      );
    }
    if (entry.begin > covered) {
      throw new SafetensorsError(
        file,
        `offsets are not contiguous: data bytes [${covered}, ${entry.begin}) before tensor '${entry.name}' belong to no tensor`,
      );
    }
    if (entry.end > dataLength) {
      throw new SafetensorsError(
        file,
        `tensor '${entry.name}' (${span}) is out of bounds: the file has only ${dataLength} data bytes (truncated?)`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      file,
      `the tensors cover ${covered} data bytes but the file has ${dataLength}: ${dataLength - covered} trailing bytes belong to no tensor`,
    );
  }
  return { entries, metadata, headerLength, dataStart, dataLength };
}

/** A tensor to write, described without its data. */
export interface EntryToWrite {
  name: string;
  formatDType: FormatDType;
  shape: readonly number[];
}

export interface Layout<T extends EntryToWrite> {
  /** Tensors in data order, each with its byte range in the data section. */
  order: (T & { begin: number; end: number })[];
  /** The header bytes, padded with spaces to a multiple of 8 (so data starts 8-byte aligned). */
  header: Uint8Array;
  dataLength: number;
}

const utf8 = new TextEncoder();

/** Byte-wise order of the UTF-8 encodings (the reference compares Rust strings this way). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function checkText(text: string, what: string, file: string): void {
  if (Buffer.from(text, "utf8").toString("utf8") !== text) {
    throw new SafetensorsError(file, `${what} ${JSON.stringify(text)} is not valid Unicode (lone surrogate); it cannot be stored as UTF-8`);
  }
}

/**
 * Lays tensors out as the reference writer does: sorted by dtype alignment (descending), then by
 * name; data offsets back to back from 0; the header compact JSON with "__metadata__" first (when
 * given, keys sorted) and then the tensors in data order, each {"dtype","shape","data_offsets"};
 * padded with spaces to a multiple of 8 bytes.
 */
export function layout<T extends EntryToWrite>(items: readonly T[], metadata: Record<string, string> | undefined, file: string): Layout<T> {
  const seen = new Set<string>();
  for (const item of items) {
    if (item.name === METADATA_KEY)
      throw new SafetensorsError(file, `'${METADATA_KEY}' is reserved for the metadata and cannot name a tensor`);
    if (seen.has(item.name)) throw new SafetensorsError(file, `tensor name '${item.name}' appears twice`);
    seen.add(item.name);
    checkText(item.name, "tensor name", file);
  }
  const sorted = [...items].sort((a, b) => FORMAT[b.formatDType].rank - FORMAT[a.formatDType].rank || compareUtf8(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const fields: string[] = [];
    for (const key of keys) {
      const value: unknown = metadata[key];
      if (typeof value !== "string") {
        throw new SafetensorsError(
          file,
          `metadata value for '${key}' is ${describe(value)}; safetensors metadata values must be strings (convert it with String() or JSON.stringify())`,
        );
      }
      checkText(key, "metadata key", file);
      checkText(value, "metadata value", file);
      fields.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(",")}}`);
  }
  let offset = 0;
  const order = sorted.map((item) => {
    const size = byteSize(item.shape, FORMAT[item.formatDType].bytes);
    if (size === undefined) throw new SafetensorsError(file, `tensor '${item.name}' is too large to address`);
    const placed = { ...item, begin: offset, end: offset + size };
    offset += size;
    parts.push(
      `${JSON.stringify(item.name)}:{"dtype":"${item.formatDType}","shape":[${item.shape.join(",")}],"data_offsets":[${placed.begin},${placed.end}]}`,
    );
    return placed;
  });
  const json = utf8.encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(padded).fill(0x20);
  header.set(json);
  return { order, header, dataLength: offset };
}

/** The 8-byte little-endian length prefix for a header of `n` bytes. */
export function lengthPrefix(n: number): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(n), true);
  return prefix;
}
