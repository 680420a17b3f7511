// A small BMP decoder: libvips (and so sharp) cannot read BMP, so dime decodes it here.
// Handles the Windows BMP header (BITMAPINFOHEADER and later), 1/4/8-bit palettes, 16/24/32-bit
// pixels (BI_RGB and BI_BITFIELDS), bottom-up and top-down rows. RLE-compressed BMPs are refused
// with a message that says how to convert them.

/** Decoded BMP pixels: interleaved 8-bit, `channels` 3 (RGB) or 4 (RGBA when the file has alpha). */
export interface DecodedBmp {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** True when the buffer starts with the BMP signature `BM`. */
export function isBmp(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === 0x42 && buffer[1] === 0x4d;
}

/** Decodes a BMP file. Throws an `Error` whose message says what is wrong (the caller adds the file name). */
export function decodeBmp(buffer: Uint8Array): DecodedBmp {
  if (buffer.length < 54 || !isBmp(buffer)) throw new Error("not a BMP file (too short or no 'BM' signature)");
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) throw new Error(`BMP core header (${headerSize} bytes) is not supported: re-save as PNG`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width > 1 << 15 || height > 1 << 15) throw new Error(`BMP size ${width}x${height} is not valid`);
  if (compression === 1 || compression === 2)
    throw new Error("RLE-compressed BMP is not supported: convert it with `ffmpeg -i in.bmp out.png`");
  if (compression !== 0 && compression !== 3) throw new Error(`BMP compression ${compression} is not supported: re-save as PNG`);

  const masks = bitfieldMasks(view, headerSize, bitsPerPixel, compression);
  const palette = bitsPerPixel <= 8 ? readPalette(view, headerSize, bitsPerPixel) : undefined;
  const channels: 3 | 4 = masks && masks[3] !== 0 ? 4 : 3;
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (dataOffset + stride * height > buffer.length) throw new Error("BMP pixel data is truncated");

  const pixels = new Uint8Array(width * height * channels);
  for (let row = 0; row < height; row++) {
    const y = topDown ? row : height - 1 - row;
    const rowStart = dataOffset + row * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const index = paletteIndex(buffer, rowStart, x, bitsPerPixel);
        const p = index * 3;
        if (p + 2 >= palette.length) throw new Error(`BMP palette index ${index} is out of range`);
        pixels[o] = palette[p];
        pixels[o + 1] = palette[p + 1];
        pixels[o + 2] = palette[p + 2];
      } else if (bitsPerPixel === 24) {
        const i = rowStart + x * 3;
        pixels[o] = buffer[i + 2];
        pixels[o + 1] = buffer[i + 1];
        pixels[o + 2] = buffer[i];
      } else {
        const value = bitsPerPixel === 32 ? view.getUint32(rowStart + x * 4, true) : view.getUint16(rowStart + x * 2, true);
        const m = masks!;
        for (let c = 0; c < channels; c++) pixels[o + c] = maskedByte(value, m[c]);
      }
    }
  }
  return { pixels, width, height, channels };
}

/** The R, G, B, A masks of a 16/32-bit BMP; undefined for palette and 24-bit files. */
function bitfieldMasks(view: DataView, headerSize: number, bits: number, compression: number): number[] | undefined {
  if (bits === 24 || bits <= 8) return undefined;
  if (bits !== 16 && bits !== 32) throw new Error(`BMP with ${bits} bits per pixel is not supported`);
  if (compression === 3) {
    const r = view.getUint32(54, true);
    const g = view.getUint32(58, true);
    const b = view.getUint32(62, true);
    const a = headerSize >= 56 ? view.getUint32(66, true) : 0;
    return [r, g, b, a];
  }
  // BI_RGB defaults: 16-bit is X1R5G5B5, 32-bit is X8R8G8B8 (the top byte is unused, not alpha).
  return bits === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
}

function readPalette(view: DataView, headerSize: number, bits: number): Uint8Array {
  const declared = view.getUint32(46, true);
  const count = declared === 0 ? 1 << bits : declared;
  const start = 14 + headerSize;
  if (start + count * 4 > view.byteLength) throw new Error("BMP palette is truncated");
  const palette = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    palette[i * 3] = view.getUint8(start + i * 4 + 2);
    palette[i * 3 + 1] = view.getUint8(start + i * 4 + 1);
    palette[i * 3 + 2] = view.getUint8(start + i * 4);
  }
  return palette;
}

function paletteIndex(buffer: Uint8Array, rowStart: number, x: number, bits: number): number {
  const bitOffset = x * bits;
  const byte = buffer[rowStart + (bitOffset >> 3)];
  const shift = 8 - bits - (bitOffset & 7);
  return (byte >> shift) & ((1 << bits) - 1);
}

/** Extracts the bits under `mask` and scales them to 0..255. */
function maskedByte(value: number, mask: number): number {
  if (mask === 0) return 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return Math.round((((value & mask) >>> shift) * 255) / max);
}
