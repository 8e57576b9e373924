import { describe, expect, it } from 'vitest';
import { serialized } from './serial';

describe('serialized', () => {
  it('runs read-modify-write calls one after another, and a failure does not block the next', async () => {
    const one = serialized();
    let value = 0;
    const bump = () =>
      one(async () => {
        const v = value;
        await new Promise((r) => setTimeout(r, 5));
        value = v + 1;
        return value;
      });
    const failing = one(async () => {
      throw new Error('disk full');
    });
    const results = await Promise.all([bump(), bump(), failing.catch((e: Error) => e.message), bump()]);
    expect(results).toEqual([1, 2, 'disk full', 3]);
    expect(value).toBe(3);
  });
});
