import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { Float64, packb, unpackb, type PackValue } from '../../src/token/fernet/msgpack.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fernet/', import.meta.url));
interface Typed {
  t: 'int' | 'float' | 'str' | 'bin' | 'bool' | 'nil' | 'list';
  v: unknown;
}
const { vectors } = JSON.parse(readFileSync(FIXTURES + 'msgpack-vectors.json', 'utf8')) as { vectors: { value: Typed; hex: string }[] };

function toPack(x: Typed): PackValue {
  switch (x.t) {
    case 'int':
      return x.v as number;
    case 'float':
      return new Float64(x.v as number);
    case 'str':
      return x.v as string;
    case 'bin':
      return Buffer.from(x.v as string, 'hex');
    case 'bool':
      return x.v as boolean;
    case 'nil':
      return null;
    case 'list':
      return (x.v as Typed[]).map(toPack);
  }
}

function expectedDecoded(x: Typed): unknown {
  switch (x.t) {
    case 'bin':
      return Buffer.from(x.v as string, 'hex');
    case 'list':
      return (x.v as Typed[]).map(expectedDecoded);
    default:
      return x.v;
  }
}

test('packb matches Python msgpack.packb byte for byte (recorded vectors)', () => {
  assert.ok(vectors.length >= 50);
  for (const { value, hex } of vectors) {
    assert.equal(packb(toPack(value)).toString('hex'), hex, JSON.stringify(value).slice(0, 120));
  }
});

test('unpackb (msgpackr) reads Python output: bin as Buffer, floats, big ints, arrays', () => {
  for (const { value, hex } of vectors) {
    const decoded = unpackb(Buffer.from(hex, 'hex'));
    assert.deepEqual(decoded, expectedDecoded(value), JSON.stringify(value).slice(0, 120));
  }
  const bin = unpackb(Buffer.from('c403616263', 'hex'));
  assert.ok(Buffer.isBuffer(bin), 'bin is a Buffer');
  assert.equal(unpackb(Buffer.from('cf0000000200000000', 'hex')), 2 ** 33);
});

test('why not msgpackr Packr for encoding: it differs from Python on integral floats and uint64', () => {
  const packr = new Packr({ useRecords: false });
  assert.notEqual(packr.pack(1893499200.0).toString('hex'), packb(new Float64(1893499200)).toString('hex'));
  assert.equal(packb(new Float64(1893456000)).toString('hex'), 'cb41dc36f620000000');
  assert.notEqual(packr.pack(2 ** 32).toString('hex'), packb(2 ** 32).toString('hex'));
  // where both apply, they agree
  for (const v of [0, 127, 128, 65536, -33, 'abc', 'x'.repeat(40), true, null]) {
    assert.equal(packr.pack(v).toString('hex'), packb(v as PackValue).toString('hex'));
  }
});

test('packb refuses what a payload never holds', () => {
  assert.throws(() => packb(1.5), RangeError);
  assert.throws(() => packb({} as unknown as PackValue), TypeError);
});
