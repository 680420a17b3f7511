// Element types: names as in PyTorch, codes as libtorch's c10::ScalarType.

export type DType = "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

/** The typed array that holds each dtype's elements (16-bit floats as their raw bits). */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayOf[DType];

const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const NAMES = new Map<number, DType>(Object.entries(CODES).map(([name, code]) => [code, name as DType]));

const ARRAYS: Record<
  DType,
  { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): AnyTypedArray; BYTES_PER_ELEMENT: number }
> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

export function dtypeCode(dtype: DType): number {
  const code = CODES[dtype];
  if (code === undefined) throw new TypeError(`unknown dtype '${String(dtype)}'; use one of ${Object.keys(CODES).join(", ")}`);
  return code;
}

export function dtypeName(code: number): DType {
  const name = NAMES.get(code);
  if (name === undefined) throw new TypeError(`libtorch returned a dtype dime does not support (code ${code})`);
  return name;
}

export function bytesPerElement(dtype: DType): number {
  return ARRAYS[dtype].BYTES_PER_ELEMENT;
}

export function typedArrayFor<D extends DType>(dtype: D, buffer: ArrayBuffer): TypedArrayOf[D] {
  return new ARRAYS[dtype](buffer) as TypedArrayOf[D];
}

/**
 * A typed-array view of `length` elements of `dtype` at `byteOffset` in `buffer` (no copy; the
 * offset must be a multiple of the element size).
 */
export function typedArrayView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): AnyTypedArray {
  return new ARRAYS[dtype](buffer, byteOffset, length);
}

export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16" || dtype === "bfloat16";
}

/** The dtype a typed array holds when no dtype is given (16-bit arrays are ambiguous: none). */
export function dtypeOfArray(data: ArrayBufferView): DType | undefined {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  return undefined;
}
