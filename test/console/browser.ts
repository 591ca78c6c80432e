import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt `chromium`); tests never download a browser. */
export const CHROMIUM = process.env.TARMAC_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

/** One headless Chromium for a test file. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Saves a full-page screenshot as test-artifacts/console/NAME.png (git-ignored, kept by CI). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Accessibility basics on the current page: every form control has an accessible name (a label or
 * aria-label), every button has text or a name, and images/charts have a role and a name.
 */
export function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea'))) {
      const c = el as HTMLInputElement;
      if (c.type === 'hidden') continue;
      if (!c.labels?.length && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
        bad.push(`${el.tagName.toLowerCase()}[name=${c.name}]`);
    }
    for (const b of Array.from(document.querySelectorAll<HTMLElement>('button, a[href]')))
      if (!b.textContent?.trim() && !b.getAttribute('aria-label')) bad.push(b.outerHTML.slice(0, 80));
    for (const s of Array.from(document.querySelectorAll('svg')))
      if (s.getAttribute('role') !== 'img' || !s.getAttribute('aria-label'))
        bad.push('svg without role/name');
    return bad;
  });
}
