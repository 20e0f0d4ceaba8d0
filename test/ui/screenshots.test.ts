import fs from 'node:fs';
import path from 'node:path';
import { openPage, startUi, type UiHarness } from './browser';
import { everyPage, openSettled } from './every-page';
import { seedModel, type SeededModel } from './seed';

/**
 * Every page at a desktop and a phone size: it renders its data without console errors, nothing overflows the
 * phone's width (wide tables scroll inside their own box), and a screenshot lands in test-results/ui/ for a
 * person to look at (not committed).
 */
const OUT = path.resolve(__dirname, '../../test-results/ui');
const SIZES = {
  desktop: { width: 1400, height: 900 },
  phone: { width: 390, height: 844 },
};

describe('UI: every page at 1400×900 and 390×844', () => {
  let h: UiHarness;
  let model: SeededModel;
  beforeAll(async () => {
    h = await startUi();
    model = await seedModel(h.t, 'shots');
    fs.mkdirSync(OUT, { recursive: true });
  });
  afterAll(() => h?.close());

  it.each(Object.entries(SIZES))('renders every page at the %s size', async (size, viewport) => {
    const { page, errors } = await openPage(h, { viewport });
    for (const [name, url, expected] of everyPage(model)) {
      await openSettled(page, url, expected);
      await page.screenshot({ path: path.join(OUT, `${name}-${size}.png`), fullPage: true });
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      expect({ page: name, width }).toEqual({ page: name, width: Math.min(width, viewport.width) });
    }
    expect(errors()).toEqual([]);
  });
});
