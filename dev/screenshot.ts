/**
 * A screenshot of the console running under `npm run dev`, for the README and reviews; run it by
 * hand while `npm run dev` runs (no test runs it):
 *
 *   node --import tsx dev/screenshot.ts <the test user's password> [console URL]
 *
 * It signs the test user in through the stand-in identity provider in headless Chromium, runs the
 * order lookup (answered by the fake Pipedream), shows every tool of the list at once, and saves
 * dev/screenshot-console.png.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DEFAULT_CHROMIUM_PATH, DEFAULT_PORTS } from './settings.ts';
import { TEST_USER } from './stack-plan.ts';

const [password, consoleUrl = `http://127.0.0.1:${DEFAULT_PORTS.frontend}`] = process.argv.slice(2).filter((arg) => arg !== '--');
if (password === undefined) {
  process.stderr.write('usage: node --import tsx dev/screenshot.ts <password npm run dev printed> [console URL]\n');
  process.exit(1);
}
const output = fileURLToPath(new URL('screenshot-console.png', import.meta.url));

const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] || DEFAULT_CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  await page.goto(consoleUrl);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.fill('input[name=login]', TEST_USER);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.getByTestId('signed-in-user').waitFor();
  await page.getByLabel('Order number').fill('A-1001');
  await page.getByRole('button', { name: 'Run tool' }).click();
  await page.getByTestId('tool-result').waitFor();
  // A closed <select> shows one option and headless Chromium draws no open one: list them all.
  // (Typed by hand: this repository's tsconfig has no DOM library.)
  await page.getByLabel('Tool', { exact: true }).evaluate((select) => {
    const list = select as unknown as { size: number; options: { length: number } };
    list.size = list.options.length;
  });
  await page.screenshot({ path: output, fullPage: true });
  process.stdout.write(`saved ${output}\n`);
} finally {
  await browser.close();
}
