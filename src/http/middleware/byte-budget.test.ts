import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('grants bytes while they fit and refuses the take that would overflow', () => {
    const budget = new ByteBudget(100);
    const a = budget.open('a');
    const b = budget.open('b');
    expect(a.take(60)).toBe(true);
    expect(b.take(40)).toBe(true);
    expect(b.take(1)).toBe(false);
    expect(budget.open('c').take(1)).toBe(false);
    expect(budget.reserved).toBe(100);
  });

  it('gives bytes back exactly once per reservation, and a released one takes nothing more', () => {
    const budget = new ByteBudget(100);
    const first = budget.open('a');
    expect(first.take(70)).toBe(true);
    first.release();
    first.release();
    expect(budget.reserved).toBe(0);
    expect(first.take(1)).toBe(false);
    expect(budget.open('a').take(100)).toBe(true);
  });

  it('lets a request that holds every reserved byte go past the limit', () => {
    const budget = new ByteBudget(100);
    const big = budget.open('a');
    expect(big.take(60)).toBe(true);
    expect(big.take(440)).toBe(true);
    expect(budget.open('b').take(1)).toBe(false);
    big.release();
    expect(budget.open('b').take(1)).toBe(true);
  });

  it('keeps one holder to its share while others still fit', () => {
    const budget = new ByteBudget(100, 25);
    const first = budget.open('greedy');
    const second = budget.open('greedy');
    expect(first.take(20)).toBe(true);
    expect(second.take(5)).toBe(true);
    expect(second.take(1)).toBe(false);
    expect(budget.heldBy('greedy')).toBe(25);
    const other = budget.open('polite');
    expect(other.take(25)).toBe(true);
    first.release();
    expect(second.take(20)).toBe(true);
  });
});
