import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('grants reservations while they fit and refuses the one that would overflow', () => {
    const budget = new ByteBudget(100);
    const a = budget.tryReserve(60);
    const b = budget.tryReserve(40);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(budget.tryReserve(1)).toBeUndefined();
    expect(budget.reserved).toBe(100);
  });

  it('gives bytes back exactly once per reservation', () => {
    const budget = new ByteBudget(100);
    const release = budget.tryReserve(70)!;
    release();
    release();
    expect(budget.reserved).toBe(0);
    expect(budget.tryReserve(100)).toBeDefined();
  });

  it('lets one reservation larger than the whole budget through when nothing else is held', () => {
    const budget = new ByteBudget(100);
    const big = budget.tryReserve(500);
    expect(big).toBeDefined();
    expect(budget.tryReserve(1)).toBeUndefined();
    big!();
    expect(budget.tryReserve(1)).toBeDefined();
  });
});
