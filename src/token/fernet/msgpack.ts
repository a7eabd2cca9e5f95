/**
 * MessagePack for Fernet payloads, byte-compatible with Python msgpack 1.x
 * `packb(obj)` (use_bin_type=True, the default since 1.0), which Keystone
 * uses for token, receipt and (nothing else) payloads.
 *
 * Encoding is written here rather than with msgpackr's Packr because
 * msgpackr cannot produce two encodings Keystone's payloads contain:
 *  - a float that happens to be integral (every expires_at, since Keystone
 *    drops the microseconds: 1700000000.0) is float64 (0xcb) in Python;
 *    msgpackr sees a JS integer and writes uint32 (0xce);
 *  - a positive int >= 2**32 (the ec2credential / oauth2_credential method
 *    bits) is uint64 (0xcf) in Python; msgpackr writes a float64 for a
 *    number and int64 (0xd3) for a bigint.
 * (and with its default useRecords, msgpackr writes 64..127 as uint8.)
 * The encoder below covers exactly the types a payload holds: nil, bool,
 * int, Float64, str, bin and arrays, choosing the smallest format as
 * Python's packer does. test/token/fernet-msgpack.test.ts compares it with
 * Python's output byte for byte.
 *
 * Decoding uses msgpackr's Unpackr (records off, int64 as number): bin
 * comes back as a Buffer (a view into the decrypted plaintext, no copy),
 * str as string, arrays as arrays, float64 as number.
 */
import { Unpackr } from 'msgpackr';

/** A number to be packed as float64 whatever its value (Python float). */
export class Float64 {
  constructor(readonly value: number) {}
}

export type PackValue = null | boolean | number | string | Uint8Array | Float64 | readonly PackValue[];

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size = 192) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
}

function packInt(w: Writer, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`msgpack: ${v} is not a safe integer (use Float64 for floats)`);
  w.ensure(9);
  const b = w.buf;
  if (v >= 0) {
    if (v < 0x80) b[w.pos++] = v;
    else if (v < 0x100) {
      b[w.pos++] = 0xcc;
      b[w.pos++] = v;
    } else if (v < 0x10000) {
      b[w.pos++] = 0xcd;
      b.writeUInt16BE(v, w.pos);
      w.pos += 2;
    } else if (v < 0x100000000) {
      b[w.pos++] = 0xce;
      b.writeUInt32BE(v, w.pos);
      w.pos += 4;
    } else {
      b[w.pos++] = 0xcf;
      b.writeUInt32BE(Math.floor(v / 0x100000000), w.pos);
      b.writeUInt32BE(v >>> 0, w.pos + 4);
      w.pos += 8;
    }
  } else {
    if (v >= -32) b[w.pos++] = v & 0xff;
    else if (v >= -0x80) {
      b[w.pos++] = 0xd0;
      b.writeInt8(v, w.pos);
      w.pos += 1;
    } else if (v >= -0x8000) {
      b[w.pos++] = 0xd1;
      b.writeInt16BE(v, w.pos);
      w.pos += 2;
    } else if (v >= -0x80000000) {
      b[w.pos++] = 0xd2;
      b.writeInt32BE(v, w.pos);
      w.pos += 4;
    } else {
      b[w.pos++] = 0xd3;
      b.writeBigInt64BE(BigInt(v), w.pos);
      w.pos += 8;
    }
  }
}

function packHeader(
  w: Writer,
  len: number,
  fix: number | undefined,
  fixMax: number,
  c8: number | undefined,
  c16: number,
  c32: number,
): void {
  w.ensure(5);
  const b = w.buf;
  if (fix !== undefined && len <= fixMax) b[w.pos++] = fix | len;
  else if (c8 !== undefined && len < 0x100) {
    b[w.pos++] = c8;
    b[w.pos++] = len;
  } else if (len < 0x10000) {
    b[w.pos++] = c16;
    b.writeUInt16BE(len, w.pos);
    w.pos += 2;
  } else {
    b[w.pos++] = c32;
    b.writeUInt32BE(len, w.pos);
    w.pos += 4;
  }
}

function packValue(w: Writer, v: PackValue): void {
  if (v === null || v === undefined) {
    w.byte(0xc0);
    return;
  }
  switch (typeof v) {
    case 'boolean': {
      w.byte(v ? 0xc3 : 0xc2);
      return;
    }
    case 'number': {
      packInt(w, v);
      return;
    }
    case 'string': {
      const len = Buffer.byteLength(v, 'utf8');
      packHeader(w, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
      w.ensure(len);
      w.pos += w.buf.write(v, w.pos, 'utf8');
      return;
    }
    default:
      break;
  }
  if (v instanceof Float64) {
    w.ensure(9);
    w.buf[w.pos++] = 0xcb;
    w.buf.writeDoubleBE(v.value, w.pos);
    w.pos += 8;
    return;
  }
  if (v instanceof Uint8Array) {
    packHeader(w, v.length, undefined, 0, 0xc4, 0xc5, 0xc6);
    w.ensure(v.length);
    w.buf.set(v, w.pos);
    w.pos += v.length;
    return;
  }
  if (Array.isArray(v)) {
    packHeader(w, v.length, 0x90, 15, undefined, 0xdc, 0xdd);
    for (const item of v as PackValue[]) packValue(w, item);
    return;
  }
  throw new TypeError(`msgpack: cannot pack ${Object.prototype.toString.call(v)}`);
}

/** Python's msgpack.packb(value) for payload values. */
export function packb(value: PackValue): Buffer {
  const w = new Writer();
  packValue(w, value);
  return w.buf.subarray(0, w.pos);
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** msgpack.unpackb: bin → Buffer, str → string, array → array, float → number. */
export function unpackb(data: Buffer): unknown {
  return unpackr.unpack(data);
}
