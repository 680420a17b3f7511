// Small PyTorch checkpoints built byte by byte, for the reader's edge cases the golden files do not
// have: strided and shared views, big-endian storages, storages shorter than their tensors.
// The pickles are written opcode by opcode as torch.save (protocol 2) writes them.
import { crc32 } from "node:zlib";

export interface TensorSpec {
  name: string;
  storage: string;
  offset: number;
  shape: number[];
  stride: number[];
}

export interface StorageSpec {
  key: string;
  /** torch.FloatStorage etc. */
  type: string;
  /** Declared elements. */
  numel: number;
  /** The raw bytes written for it (little-endian unless the test swaps them). */
  bytes: Uint8Array;
}

const enc = new TextEncoder();

function unicode(s: string): number[] {
  const b = enc.encode(s);
  return [0x58, b.length & 255, (b.length >> 8) & 255, 0, 0, ...b];
}
function int(n: number): number[] {
  return [0x4a, n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
}
function global(module: string, name: string): number[] {
  return [0x63, ...enc.encode(`${module}\n${name}\n`)];
}
function tuple(items: number[][]): number[] {
  return [0x28, ...items.flat(), 0x74];
}

/** The object pickle: a dict {name: tensor} (persistent ids of the legacy or zip kind). */
export function objectPickle(tensors: TensorSpec[], storages: StorageSpec[], legacy: boolean): Uint8Array {
  return Uint8Array.from([0x80, 0x02, ...tensorDict(tensors, storages, legacy), 0x2e]);
}

/** A dict of dicts of tensors, {group: {name: tensor}}, as FOMM-like checkpoints are. */
export function groupedPickle(groups: Record<string, TensorSpec[]>, storages: StorageSpec[], legacy: boolean): Uint8Array {
  const out: number[] = [0x80, 0x02, 0x7d, 0x28];
  for (const [name, tensors] of Object.entries(groups)) out.push(...unicode(name), ...tensorDict(tensors, storages, legacy));
  out.push(0x75, 0x2e);
  return Uint8Array.from(out);
}

function tensorDict(tensors: TensorSpec[], storages: StorageSpec[], legacy: boolean): number[] {
  const out: number[] = [0x7d, 0x28];
  for (const t of tensors) {
    const s = storages.find((x) => x.key === t.storage)!;
    const pid = [unicode("storage"), global("torch", s.type), unicode(s.key), unicode("cpu"), int(s.numel), ...(legacy ? [[0x4e]] : [])];
    out.push(...unicode(t.name), ...global("torch._utils", "_rebuild_tensor_v2"));
    out.push(0x28, ...tuple(pid), 0x51, ...int(t.offset), ...tuple(t.shape.map(int)), ...tuple(t.stride.map(int)), 0x89);
    out.push(...global("collections", "OrderedDict"), 0x29, 0x52, 0x74, 0x52);
  }
  out.push(0x75);
  return out;
}

function int64(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

/** torch.save's legacy format: magic, protocol, system info, object, keys, storages (`written` of them). */
export function legacyCheckpoint(tensors: TensorSpec[], storages: StorageSpec[], written = storages): Buffer {
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
  const protocol = [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e];
  const sysInfo = [0x80, 0x02, 0x7d, ...unicode("little_endian"), 0x88, 0x73, 0x2e];
  const keys = [0x80, 0x02, 0x5d, 0x28, ...written.flatMap((s) => unicode(s.key)), 0x65, 0x2e];
  const parts: Uint8Array[] = [
    Uint8Array.from(magic),
    Uint8Array.from(protocol),
    Uint8Array.from(sysInfo),
    objectPickle(tensors, storages, true),
    Uint8Array.from(keys),
  ];
  for (const s of written) parts.push(int64(s.numel), s.bytes);
  return Buffer.concat(parts);
}

/**
 * A stored (uncompressed) zip archive of `files`, as torch.save's zip format is. With `zip64`,
 * the sizes, offsets and counts go in zip64 fields (as in archives over 4 GB), the classic
 * fields holding 0xffffffff / 0xffff.
 */
export function storedZip(files: [string, Uint8Array][], zip64 = false): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, "utf8");
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    const crc = crc32(data);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    locals.push(header, nameBytes, Buffer.from(data));
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(45, 4);
    entry.writeUInt16LE(45, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20);
    entry.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    if (zip64) {
      // Extra field 0x0001: size, compressed size, local header offset (8 bytes each).
      const extra = Buffer.alloc(4 + 24);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
      entry.writeUInt16LE(extra.length, 30);
      central.push(entry, nameBytes, extra);
    } else {
      central.push(entry, nameBytes);
    }
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : files.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : files.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return Buffer.concat([...locals, cd, end]);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(files.length), 24);
  record.writeBigUInt64LE(BigInt(files.length), 32);
  record.writeBigUInt64LE(BigInt(cd.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, cd, record, locator, end]);
}

/** torch.save's zip format, with an optional byteorder record (`pickle` replaces the flat dict of `tensors`). */
export function zipCheckpoint(
  tensors: TensorSpec[],
  storages: StorageSpec[],
  byteorder?: "little" | "big",
  pickle?: Uint8Array,
  zip64 = false,
): Buffer {
  const files: [string, Uint8Array][] = [["archive/data.pkl", pickle ?? objectPickle(tensors, storages, false)]];
  if (byteorder) files.push(["archive/byteorder", enc.encode(byteorder)]);
  for (const s of storages) files.push([`archive/data/${s.key}`, s.bytes]);
  files.push(["archive/version", enc.encode("3\n")]);
  return storedZip(files, zip64);
}

export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
