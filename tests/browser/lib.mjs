// Shared helpers of the browser journeys: Debian's Chromium driven by playwright-core,
// axe-core audits, keyboard-only navigation, screenshots.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axe = require('axe-core');

export const BASE = process.env.CRENEAU_BASE_URL ?? 'http://127.0.0.1:8080';
export const STAFF_EMAIL = process.env.CRENEAU_STAFF_EMAIL ?? 'coordination@arles.example';
export const STAFF_PASSWORD = process.env.CRENEAU_STAFF_PASSWORD ?? 'demo-arles-2027';
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
export const PHONE = { width: 390, height: 844 };

/** Every page audited, with its violation count, for the summary at the end. */
export const audited = [];

export async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'creneau-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: PHONE,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(15000);
  const close = async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Runs axe-core on the page as it is (WCAG 2.0 and 2.1, levels A and AA) and fails on any
 * violation. axe is evaluated through the DevTools protocol, which the page's CSP
 * (`script-src 'none'`) does not govern; the page itself still runs no script.
 */
export async function audit(page, label) {
  const ready = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!ready) await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    }),
  );
  audited.push({ label, url: new URL(page.url()).pathname.replace(/[A-Za-z0-9_-]{43}/, '{jeton}'), violations: result.violations.length });
  const details = result.violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`)
    .join('\n');
  assert.equal(result.violations.length, 0, `axe on « ${label} » (${page.url()}):\n${details}`);
}

/** The focused element, described. */
export async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return null;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.innerText || el.value || '').replace(/\s+/g, ' ').trim(),
      name: el.getAttribute('name'),
      id: el.id,
      type: el.getAttribute('type'),
      outline: parseFloat(style.outlineWidth) || 0,
      outlineStyle: style.outlineStyle,
    };
  });
}

/**
 * Presses Tab until `matches(focused)` holds (at most `max` times). Each element reached
 * must show a focus outline of at least 2 px.
 */
export async function tabTo(page, matches, what, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && f.tag !== 'body') {
      assert.ok(
        f.outline >= 2 && f.outlineStyle !== 'none',
        `focus must be visible on ${f.tag} « ${f.text} » (outline ${f.outline}px ${f.outlineStyle})`,
      );
    }
    if (f && matches(f)) return f;
  }
  assert.fail(`Tab never reached ${what} on ${page.url()}`);
}

/** Presses Enter and waits for the navigation it starts. */
export async function enterAndWait(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

export async function shoot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: false });
}

export async function h1(page) {
  return (await page.locator('h1').innerText()).replace(/\s+/g, ' ').trim();
}
