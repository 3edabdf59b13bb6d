// End-to-end: Debian's Chromium on the real daemon. The public pages in French and English pass
// axe-core with no serious or critical violation and work from the keyboard; an association signs
// up with JavaScript off (validation messages by their fields, then a pending request), the admin
// approves it, its manager logs in and out. Screenshots of each page go to ARTIFACTS.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { base, admin: adminAccount, launch, visitor: newVisitor, screenshot, expectAccessible, api, adminToken,
        logIn } = require('./support');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });
const visitor = (options) => newVisitor(browser, options);

const plan = {
  slug: 'asso-web', name: { fr: 'Site web', en: 'Website' }, templates: ['website'],
  prices: [{ interval: 'month', kind: 'association', amount_cents: 500 },
           { interval: 'year', kind: 'association', amount_cents: 3500, membership_cents: 1500 },
           { interval: 'year', kind: 'individual', amount_cents: 2000, floor_cents: 500 }],
  quotas: { services: { included: 2, limit: 3 }, disk_gib: { included: 1, limit: 5 } },
  overage: { disk_gib: { unit_cents: 50 } },
};

test('the public pages are accessible, in French and in English', async () => {
  assert.equal((await api('POST', '/api/v1/plans', await adminToken(), plan)).status, 201);
  for (const lang of ['fr', 'en']) {
    const context = await visitor({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
    const page = await context.newPage();
    await page.goto(base + '/');
    assert.ok(await page.getByText(lang === 'fr' ? 'Site web' : 'Website', { exact: true }).isVisible());
    for (const [route, name] of [['/', 'home'], ['/signup', 'signup'], ['/login', 'login'], ['/terms', 'terms'],
                                 ['/promises', 'promises'], ['/status', 'status'],
                                 ['/password/forgot', 'password-forgot'], ['/password/reset?token=x', 'password-reset']]) {
      const response = await page.goto(base + route);
      assert.equal(response.status(), 200, route);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await expectAccessible(page, `${name}-${lang}`);
    }
    // The sign-up form with its validation messages.
    await page.goto(base + '/signup');
    await page.getByRole('button', { name: lang === 'fr' ? 'Envoyer la demande' : 'Send the request' }).click();
    await page.locator('.field-error').first().waitFor();
    await expectAccessible(page, `signup-errors-${lang}`);
    // The first Tab reaches the skip link, which leads to the content.
    await page.goto(base + '/');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#content');
    await context.close();
  }
});

test('an association signs up with JavaScript off, is approved, and its manager logs in', async () => {
  const context = await visitor({ locale: 'fr-FR', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + '/signup');
  await page.getByLabel('Nom', { exact: true }).fill('Les Jardins partagés');
  await page.getByLabel('Adresse électronique de contact').fill('pas-une-adresse');
  await page.getByLabel('Votre nom').fill('Camille');
  await page.getByLabel('Votre adresse électronique').fill('camille@jardins.test');
  await page.getByLabel('Mot de passe').fill('court');
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  // Each message by its field, what was typed kept.
  await page.getByRole('alert').first().waitFor();
  assert.match(await page.locator('#association_email-error').innerText(), /adresse électronique n’est pas valable/);
  assert.match(await page.locator('#accept_terms-error').innerText(), /accepter les conditions/);
  assert.equal(await page.getByLabel('Nom', { exact: true }).inputValue(), 'Les Jardins partagés');
  assert.equal(await page.getByLabel('Mot de passe').inputValue(), '');
  await screenshot(page, 'signup-errors-nojs-fr');

  await page.getByLabel('Adresse électronique de contact').fill('contact@jardins.test');
  await page.getByLabel('Adresse', { exact: true }).fill('3 place du Marché');
  await page.getByLabel('Code postal').fill('35000');
  await page.getByLabel('Ville').fill('Rennes');
  await page.getByLabel('Mot de passe').fill('correct horse battery');
  await page.getByLabel('J’ai lu et j’accepte les').check();
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await page.getByRole('heading', { name: 'Demande envoyée' }).waitFor();
  await screenshot(page, 'signup-done-fr');

  // The admin approves the request in the console.
  const adminContext = await visitor({ locale: 'fr-FR' });
  const admin = await adminContext.newPage();
  await logIn(admin, adminAccount.email, adminAccount.password);  // with its TOTP code
  await admin.getByRole('link', { name: 'Administration' }).click();
  await admin.getByRole('heading', { name: 'Vue d’ensemble' }).waitFor();
  await expectAccessible(admin, 'admin-overview-fr');
  for (const [route, name] of [['/admin/associations', 'associations'], ['/admin/invoices', 'invoices'],
                               ['/admin/audit', 'audit'], ['/admin/services', 'services'], ['/admin/plans', 'plans'], ['/admin/plans/new', 'plan-new']]) {
    await admin.goto(base + route);
    await expectAccessible(admin, `admin-${name}-fr`);
  }
  await admin.getByRole('navigation', { name: 'Console d’administration' })
    .getByRole('link', { name: 'Inscriptions en attente' }).click();
  await admin.getByRole('heading', { name: 'Inscriptions en attente' }).waitFor();
  await expectAccessible(admin, 'admin-signups-fr');
  await admin.getByRole('button', { name: 'Accepter Les Jardins partagés' }).click();
  await admin.getByText('Inscription acceptée').waitFor();
  await adminContext.close();

  // The manager logs in, sees who they are, and logs out.
  await page.goto(base + '/login');
  await page.getByLabel('Adresse électronique').fill('camille@jardins.test');
  await page.getByLabel('Mot de passe').fill('correct horse battery');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { name: 'Les Jardins partagés' }).waitFor();
  await screenshot(page, 'dashboard-nojs-fr');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.getByText('Vous êtes déconnecté·e.').waitFor();
  await context.close();
});

test('the association’s dashboard is accessible and its forms say what is wrong', async () => {
  for (const lang of ['fr', 'en']) {
    const context = await visitor({ locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
    const page = await context.newPage();
    await page.goto(base + '/login');
    await page.locator('#email').fill('camille@jardins.test');
    await page.locator('#password').fill('correct horse battery');
    await page.locator('form.stacked button[type=submit]').click();
    await page.getByRole('heading', { name: 'Les Jardins partagés' }).waitFor();
    const dashboard = page.url();
    if (lang === 'fr') {
      // No subscription yet: the dashboard says services need one and links to the subscription
      // page, which shows what a choice costs; confirmed, the services come.
      await expectAccessible(page, 'dashboard-unsubscribed-fr');
      await page.getByRole('link', { name: 'Choisir un abonnement' }).click();
      await expectAccessible(page, 'subscription-fr');
      await page.locator('#offer-asso-web-month').check();
      await page.locator('form.stacked button[type=submit]').click();
      await page.locator('.preview').waitFor();
      await expectAccessible(page, 'subscription-preview-fr');
      await page.locator('.preview form button[type=submit]').click();
      await page.goto(dashboard);
    }
    await expectAccessible(page, `dashboard-${lang}`);
    await page.locator('#name').fill('Pas Valable!');
    await page.locator('#name').press('Enter');
    await page.locator('#name-error').waitFor();
    assert.equal(await page.locator('#name').getAttribute('aria-invalid'), 'true');
    await expectAccessible(page, `dashboard-errors-${lang}`);
    if (lang === 'en') {
      // The subscription page, then what a change costs.
      await page.goto(dashboard.replace(/\/associations\/([^/?#]+).*$/, '/associations/$1/subscription'));
      await expectAccessible(page, `subscription-${lang}`);
      await page.locator('#offer-asso-web-year').check();
      await page.locator('form.stacked button[type=submit]').click();
      await page.locator('.preview').waitFor();
      await expectAccessible(page, `subscription-preview-${lang}`);
    }
    await context.close();
  }
});

// The token of the invitation mailed to `to`, from the loopback SMTP server's files.
async function invitationToken(to) {
  const dir = path.join(process.env.DAEMON_DIR, 'mail');
  for (let waited = 0; waited < 20000; waited += 200) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const mail = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const found = mail.to.includes(to) && mail.body.match(/\/invitations\/accept\?token=([A-Za-z0-9_-]+)/);
      if (found) return found[1];
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no invitation mailed to ${to}`);
}

test('a manager invites someone without an account, who creates one from the mailed link', async () => {
  const context = await visitor({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.locator('#email').fill('camille@jardins.test');
  await page.locator('#password').fill('correct horse battery');
  await page.locator('form.stacked button[type=submit]').click();
  await page.getByRole('heading', { name: 'Les Jardins partagés' }).waitFor();
  await page.getByRole('link', { name: 'Gérer les membres' }).click();
  await page.getByLabel('Son adresse électronique').fill('sacha@jardins.test');
  await page.getByRole('button', { name: 'Ajouter' }).click();
  await page.getByText('Invitation envoyée').waitFor();
  await expectAccessible(page, 'members-invited-fr');
  await context.close();

  const invited = await visitor({ locale: 'fr-FR' });
  const sacha = await invited.newPage();
  await sacha.goto(`${base}/invitations/accept?token=${await invitationToken('sacha@jardins.test')}`);
  await expectAccessible(sacha, 'invitation-fr');
  await sacha.getByLabel('Votre nom').fill('Sacha');
  await sacha.getByLabel('Mot de passe').fill('une phrase de passe');
  await sacha.getByLabel('J’ai lu et j’accepte les').check();
  await sacha.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();
  await sacha.getByRole('heading', { name: 'Les Jardins partagés' }).waitFor();
  await invited.close();
});
