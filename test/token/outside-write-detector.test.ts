import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutsideWriteDetector } from '../../src/token/outside-write-detector.js';

test('an epoch advance no worker heard of is an outside write; heard ones, late readings and revocation ids are not', () => {
  let outside = 0;
  const d = new OutsideWriteDetector(() => {
    outside++;
  });
  d.reading('5:0', 1); // the first reading is the baseline
  d.heardWrite();
  d.heardWrite();
  d.reading('6:3', 2); // one of the two heard writes advanced (the revocation id does not count)
  d.reading('7:3', 3); // the other
  assert.equal(outside, 0);
  d.reading('8:3', 4); // nobody here wrote
  assert.equal(outside, 1);
  d.reading('4:0', 3.5); // a read that started earlier and answered late
  d.reading('8:3', 5);
  assert.equal(outside, 1);
  d.heardWrite();
  d.reading('10:3', 6); // one heard, two advances
  assert.equal(outside, 2);
  d.reading('not a number', 7);
  assert.equal(outside, 2);
});
