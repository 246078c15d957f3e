import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MEDIA = process.env.DD_SHARED_MEDIA ?? resolve(FRONTEND, '../../shared/media');
export const SCREENS = join(FRONTEND, 'test-results/screens');
mkdirSync(SCREENS, { recursive: true });

export const baseUrl = () => process.env.DD_E2E_URL!;
export const keysUrl = () => process.env.DD_E2E_KEYS_URL!;
export const apiKey = () => process.env.DD_E2E_KEY!;

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

/** A 1280×800 view for the README (docs/screenshots), scrolled to a heading. */
export async function docsShot(page: Page, name: string, heading?: string): Promise<void> {
  if (heading) {
    await page.getByRole('heading', { name: heading, exact: true }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  }
  await page.screenshot({ path: join(SCREENS, `docs-${name}.png`) });
}

/** axe-core: no serious or critical violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(report, `accessibility of ${what}`).toEqual([]);
}

/** Picks a file on the upload page and waits for its result page. */
export async function analyse(page: Page, file: string): Promise<void> {
  await page.goto(`${baseUrl()}/`);
  await page.getByLabel('Choose files to analyse').setInputFiles(file);
  await page.waitForURL(/\/analyses\/[^/]+$/);
}

export async function waitForVerdict(page: Page, timeout = 200_000) {
  const banner = page.getByTestId('verdict-banner');
  await expect(banner).toBeVisible({ timeout });
  return banner;
}

export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'horizontal scroll in px').toBeLessThanOrEqual(0);
}
