// The entries of a zip archive (torch.save's default format), read from its central directory
// with zip64 for archives and entries over 4 GB. Only the directory is read here; an entry's bytes
// are read later, straight from the file into their destination, so the archive is never loaded
// whole. torch.save stores entries uncompressed (method 0, 64-byte aligned); deflated entries
// (method 8), from an archive re-packed by a zip tool, are inflated by Node's zlib with their
// declared size as the limit.
//
// Written here rather than taken from a zip library: the npm ones (yauzl, unzipper) are
// asynchronous and stream-oriented, while this reader needs synchronous positioned reads into
// buffers it owns; the directory format is small and fixed (APPNOTE 4.3.12-4.3.16).
import { readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Where the entry's (compressed) bytes start in the file. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads exactly `length` bytes at `position` (ZipError when the file is shorter). */
export function readAt(fd: number, position: number, length: number, into?: Uint8Array): Buffer {
  const out = into ? Buffer.from(into.buffer, into.byteOffset, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0)
      throw new ZipError(`the file ends at byte ${position + done}, inside data that should run to byte ${position + length} (truncated?)`);
    done += n;
  }
  return out;
}

function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} of ${value} is past what a file can hold`);
  return Number(value);
}

/** The archive's entries by name. */
export function readZipEntries(fd: number, fileSize: number): Map<string, ZipEntry> {
  const tailLength = Math.min(fileSize, 22 + 65535);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("no end-of-central-directory record: the archive is truncated or damaged");
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = fileSize - tailLength + eocd - 20;
    if (locatorAt < 0) throw new ZipError("a zip64 archive without its zip64 locator");
    const locator = readAt(fd, locatorAt, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new ZipError("a zip64 archive without its zip64 locator");
    const recordAt = safe(locator.readBigUInt64LE(8), "the zip64 record offset");
    if (recordAt + 56 > fileSize) throw new ZipError("the zip64 record lies past the end of the file");
    const record = readAt(fd, recordAt, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipError("the zip64 locator points at no zip64 record");
    count = safe(record.readBigUInt64LE(32), "the entry count");
    cdSize = safe(record.readBigUInt64LE(40), "the central directory size");
    cdOffset = safe(record.readBigUInt64LE(48), "the central directory offset");
  }
  if (cdOffset + cdSize > fileSize || count > cdSize / 46)
    throw new ZipError("the central directory lies past the end of the file (truncated?)");
  const cd = readAt(fd, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipError(`central directory entry ${i} is damaged`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new ZipError(`central directory entry ${i} runs past the directory`);
    const name = cd.toString("utf8", p + 46, p + 46 + nameLength);
    // The zip64 extra field holds, in order, each of these that the fixed field marks 0xffffffff.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      if (e + 4 + length > extraEnd) break;
      if (id === 0x0001) {
        let f = e + 4;
        const next = (what: string) => {
          if (f + 8 > e + 4 + length) throw new ZipError(`entry ${name}: its zip64 field lacks the ${what}`);
          const v = safe(cd.readBigUInt64LE(f), what);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = next("size");
        if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
        if (localOffset === 0xffffffff) localOffset = next("header offset");
      }
      e += 4 + length;
    }
    p = end;
    if (localOffset + 30 > fileSize) throw new ZipError(`entry ${name} starts past the end of the file (truncated?)`);
    const local = readAt(fd, localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new ZipError(`entry ${name}: no local header where the directory says`);
    const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataOffset + compressedSize > fileSize) throw new ZipError(`entry ${name} runs past the end of the file (truncated?)`);
    if (method !== 0 && method !== 8)
      throw new ZipError(`entry ${name} is compressed with method ${method} (only stored and deflated entries are read)`);
    if (method === 0 && compressedSize !== size) throw new ZipError(`entry ${name} is stored but its sizes differ`);
    entries.set(name, { name, method, compressedSize, size, dataOffset });
  }
  return entries;
}

/**
 * An entry's bytes. Stored entries are read into `into` when given (it must hold entry.size
 * bytes), else into a new buffer.
 */
export function readZipEntry(fd: number, entry: ZipEntry, into?: Uint8Array): Buffer {
  if (entry.method === 0) return readAt(fd, entry.dataOffset, entry.size, into);
  const compressed = readAt(fd, entry.dataOffset, entry.compressedSize);
  let out: Buffer;
  try {
    out = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
  } catch (error) {
    throw new ZipError(`entry ${entry.name} does not inflate (${(error as Error).message})`);
  }
  if (out.length !== entry.size)
    throw new ZipError(`entry ${entry.name} inflates to ${out.length} bytes, not the ${entry.size} its header says`);
  if (into) {
    into.set(out);
    return Buffer.from(into.buffer, into.byteOffset, entry.size);
  }
  return out;
}
