// What the e2e tests share: Debian's Chromium, the daemon's address and admin account (from run.sh),
// the JSON API, axe-core's check and screenshots into ARTIFACTS.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const base = process.env.CHATIERE_URL;
const artifacts = process.env.ARTIFACTS;
const admin = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };

function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

// A context as a visitor's browser; `bypassCSP` only so that axe-core can be injected.
function visitor(browser, options = {}) {
  return browser.newContext({ bypassCSP: true, ...options });
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function expectAccessible(page, name) {
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const result = await page.evaluate(async () => await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), [],
                   `${name}: accessibility`);
  await screenshot(page, name);
}

async function api(method, url, token, body) {
  const response = await fetch(base + url, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: await response.json() };
}

async function adminToken() {
  const login = await api('POST', '/api/v1/sessions', null, admin);
  assert.equal(login.status, 201);
  return login.json.token;
}

// Signs in through the login form of `page`.
async function logIn(page, email, password) {
  await page.goto(base + '/login');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('form.stacked button[type=submit]').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

// Calls `check` (may be async) every `intervalMs` until it returns something truthy or `seconds`
// have passed; returns its last value. Never a fixed wait: a test waits as long as it must, no more.
async function eventually(check, { seconds, intervalMs = 250 }) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

module.exports = { base, artifacts, admin, launch, visitor, screenshot, expectAccessible, api, adminToken, logIn,
                   eventually };
