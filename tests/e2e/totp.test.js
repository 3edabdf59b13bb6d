// End-to-end: the second factor in Debian's Chromium on the real daemon. A new admin (made with the
// CLI) is held on the 403 page until it enrols; it reads the key on the page, computes the code here
// (node:crypto, RFC 6238), confirms it, gets its recovery codes, logs out, and logs in again with the
// next code, then with a recovery code. Each page passes axe-core.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { base, launch, visitor, expectAccessible, totpCode, totpStepNow, rememberTotp, logIn } = require('./support');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const account = { email: 'securite@chatons.test', password: 'correct horse battery' };

test('a new admin must enrol a second factor, then logs in with its code or a recovery code', async () => {
  execFileSync(process.env.CHATIERE_BINARY, ['admin', 'create', '--email', account.email, '--role', 'admin',
                                             '--config', path.join(process.env.DAEMON_DIR, 'chatiere.properties')],
               { input: `${account.password}\n` });
  const context = await visitor(browser, { locale: 'fr-FR' });
  const page = await context.newPage();

  // The password alone: straight to the enrolment page, which says why.
  await logIn(page, account.email, account.password);
  assert.equal(new URL(page.url()).pathname, '/account/security');
  await page.getByText('doit d’abord être protégé par la validation en deux étapes').waitFor();
  // Anything else: the 403 page, with the way out.
  const response = await page.goto(base + '/admin');
  assert.equal(response.status(), 403);
  await page.getByRole('heading', { name: 'Validation en deux étapes requise' }).waitFor();
  await expectAccessible(page, 'totp-required-fr');
  await page.getByRole('link', { name: 'Activer la validation en deux étapes' }).click();
  await expectAccessible(page, 'account-security-fr');

  // Enrolment: the QR code and the key; the code computed here from the key read on the page.
  await page.getByRole('button', { name: 'Activer la validation en deux étapes' }).click();
  await page.getByRole('img', { name: 'QR code à scanner avec votre application d’authentification' }).waitFor();
  await expectAccessible(page, 'totp-setup-fr');
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal((await page.locator('#totp-secret').innerText()).replace(/\s/g, ''), secret);
  const step = totpStepNow();
  await page.getByLabel('Puis saisissez le code à 6 chiffres qu’elle affiche').fill(totpCode(secret, step));
  await page.getByRole('button', { name: 'Confirmer' }).click();
  await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
  await expectAccessible(page, 'totp-recovery-codes-fr');
  const recovery = await page.locator('ul.recovery-codes code').allInnerTexts();
  assert.equal(recovery.length, 10);
  rememberTotp(account.email, secret, step);
  await page.getByRole('link', { name: 'J’ai noté mes codes' }).click();
  await page.getByText('Codes de secours restants : 10.').waitFor();
  assert.equal((await page.goto(base + '/admin')).status(), 200);

  // Logged out, then in again: the second step asks for the code (the next one: each is taken once).
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.goto(base + '/login');
  await page.locator('#email').fill(account.email);
  await page.locator('#password').fill(account.password);
  await page.locator('form.stacked button[type=submit]').click();
  await page.getByRole('heading', { name: 'Code de vérification' }).waitFor();
  await expectAccessible(page, 'login-totp-fr');
  // A wrong code: said so, and another try.
  const wrong = totpCode(secret, step) === '000000' ? '111111' : '000000';
  await page.getByLabel('Code à 6 chiffres').fill(wrong);
  await page.getByRole('button', { name: 'Vérifier' }).first().click();
  await page.getByText('Code incorrect ou déjà utilisé').waitFor();
  await page.getByRole('link', { name: 'Recommencer la connexion' }).click();
  await logIn(page, account.email, account.password);  // the next code, computed here
  assert.equal(new URL(page.url()).pathname, '/space');
  assert.equal((await page.goto(base + '/admin')).status(), 200);

  // A recovery code instead, once.
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.goto(base + '/login');
  await page.locator('#email').fill(account.email);
  await page.locator('#password').fill(account.password);
  await page.locator('form.stacked button[type=submit]').click();
  await page.getByText('Utiliser plutôt un code de secours').click();
  await page.getByLabel('Code de secours', { exact: true }).fill(recovery[0]);
  await page.locator('details.recovery button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === '/space');
  await page.goto(base + '/account/security');
  await page.getByText('Codes de secours restants : 9.').waitFor();
  await context.close();
});
