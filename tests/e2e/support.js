// What the e2e tests share: Debian's Chromium, the daemon's address and admin account (from run.sh),
// the JSON API, axe-core's check and screenshots into ARTIFACTS.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
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

// Axe on the page, or with `selector` on that part of it only (e.g. one section of the dashboard).
async function expectAccessible(page, name, selector) {
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const result = await page.evaluate(async (only) => await window.axe.run(only ? { include: [only] } : document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }), selector ?? null);
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

// RFC 4648 base32 (no padding) to bytes.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const totpStepSeconds = 30;
const totpStepNow = () => Math.floor(Date.now() / 1000 / totpStepSeconds);

// The TOTP code (RFC 6238: HMAC-SHA1, 30 s, 6 digits) of a base32 secret at a step, computed here.
function totpCode(secret, step = totpStepNow()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const value = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1000000).padStart(6, '0');
}

// Each account's secret and the last step whose code it used: the daemon accepts a code once, one
// step of skew either way, so a login takes the code of a later step — waiting for it when both
// now's and the next one's are used. Kept in a file of the daemon's directory, since each test file
// runs in its own process.
const totpFile = process.env.DAEMON_DIR ? path.join(process.env.DAEMON_DIR, 'totp-accounts.json') : null;
let memory = {};
function totpAccounts() {
  return totpFile && fs.existsSync(totpFile) ? JSON.parse(fs.readFileSync(totpFile, 'utf8')) : memory;
}
function rememberTotp(email, secret, lastStep) {
  const accounts = totpAccounts();
  accounts[email] = { secret, lastStep };
  if (totpFile) fs.writeFileSync(totpFile, JSON.stringify(accounts));
  else memory = accounts;
}

// The admin of tests/support/daemon.sh (made by the CLI) needs a second factor before anything
// else (auth.require_totp_for_staff): enrolled once through the API, confirmed with the code of the
// step before now (accepted: one step of skew), so that the next two logins need no wait.
async function enrolAdmin() {
  if (totpAccounts()[admin.email]) return;
  const login = await api('POST', '/api/v1/sessions', null, admin);
  assert.equal(login.status, 201, JSON.stringify(login.json));
  // No body: the route reads none, and bytes left unread would stay on the kept-alive connection.
  const begun = await api('POST', '/api/v1/me/totp', login.json.token);
  assert.equal(begun.status, 201, JSON.stringify(begun.json));
  const step = totpStepNow() - 1;
  const confirmed = await api('POST', '/api/v1/me/totp/confirm', login.json.token,
                              { code: totpCode(begun.json.secret, step) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.json));
  rememberTotp(admin.email, begun.json.secret, step);
}

// The next code the daemon takes from `email` (null for an account without a known secret).
async function nextTotpCode(email) {
  if (email === admin.email) await enrolAdmin();
  const account = totpAccounts()[email];
  if (!account) return null;
  const step = Math.max(totpStepNow(), account.lastStep + 1);
  await eventually(() => totpStepNow() + 1 >= step, { seconds: 2 * totpStepSeconds, intervalMs: 500 });
  rememberTotp(email, account.secret, step);
  return totpCode(account.secret, step);
}

async function adminToken() {
  const login = await api('POST', '/api/v1/sessions', null, { ...admin, totp: await nextTotpCode(admin.email) });
  assert.equal(login.status, 201, JSON.stringify(login.json));
  return login.json.token;
}

// Signs in through the login form of `page`; with the account's next TOTP code on the second step
// when it has a second factor.
async function logIn(page, email, password) {
  await page.goto(base + '/login');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('form.stacked button[type=submit]').click();
  // Either the second step's form (on /login, answered by the POST) or the page the login leads to.
  const challenge = page.locator('input[name=challenge]');
  const away = (url) => !url.pathname.startsWith('/login');
  await Promise.race([challenge.waitFor({ state: 'attached' }).catch(() => {}),
                      page.waitForURL(away).catch(() => {})]);
  if (await challenge.count() > 0) {
    const code = await nextTotpCode(email);
    assert.ok(code, `${email} asks for a TOTP code, and its secret is not known`);
    await page.locator('#code').fill(code);
    await page.locator('form.stacked button[type=submit]').first().click();
  }
  await page.waitForURL(away);
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
                   eventually, totpCode, totpStepNow, nextTotpCode, rememberTotp };
