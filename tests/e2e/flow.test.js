// End-to-end, the whole path of an association, in Debian's Chromium on the real daemon whose
// services are real QEMU guests on the local libvirtd: it signs up, the admin approves it, its
// manager logs in, subscribes (seeing the cost first), creates a website, sees it active, publishes
// its content and finds it served, downloads its invoice as a PDF, and exports all its data.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { base, admin, launch, visitor, screenshot, expectAccessible, api, adminToken, logIn, eventually } =
  require('./support');

let browser;
let work;
before(async () => {
  browser = await launch();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'chatiere-e2e-'));
});
after(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const plan = {
  slug: 'site-asso', name: { fr: 'Site associatif', en: 'Association website' }, templates: ['website'],
  prices: [{ interval: 'month', kind: 'association', amount_cents: 300 },
           { interval: 'year', kind: 'association', amount_cents: 3000 }],
  quotas: { services: { included: 1, limit: 1 }, disk_gib: { included: 1, limit: 2 },
            memory_mib: { included: 256, limit: 256 }, vcpus: { included: 1, limit: 1 } },
};

// The names of the entries of a zip file (read with Python's zipfile, which Debian has).
function zipEntries(file) {
  return execFileSync('/usr/bin/python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
                                  file]).toString().trim().split('\n');
}

// The dashboard, reloaded until the service `name` shows `state` (a guest boots in a minute or two
// under software emulation; the first run also builds the appliance image).
async function waitForState(page, name, state, seconds) {
  const row = page.getByRole('row', { name: new RegExp(`^${name}\\b`) });
  const reached = await eventually(async () => {
    await page.reload();
    const text = await row.innerText();
    assert.ok(!text.includes('en échec'), `the service failed: ${text}`);
    return text.includes(state);
  }, { seconds, intervalMs: 500 });
  if (!reached) assert.fail(`${name} is not "${state}" after ${seconds} s: ${await row.innerText()}`);
}

test('an association signs up, is approved, subscribes, runs its website, gets its invoice and its data', async () => {
  assert.equal((await api('POST', '/api/v1/plans', await adminToken(), plan)).status, 201);

  // Sign-up, with the plan chosen.
  const context = await visitor(browser, { locale: 'fr-FR', acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(base + '/signup?plan=site-asso');
  await page.getByLabel('Nom', { exact: true }).fill('Les Amis du Jardin');
  await page.getByLabel('Adresse électronique de contact').fill('bureau@amis-jardin.test');
  await page.getByLabel('Votre nom').fill('Camille Martin');
  await page.getByLabel('Adresse', { exact: true }).fill('3 place du Marché');
  await page.getByLabel('Code postal').fill('35000');
  await page.getByLabel('Ville').fill('Rennes');
  await page.getByLabel('Votre adresse électronique').fill('camille@amis-jardin.test');
  await page.getByLabel('Mot de passe').fill('correct horse battery');
  await page.getByLabel('J’ai lu et j’accepte les').check();
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await page.getByRole('heading', { name: 'Demande envoyée' }).waitFor();

  // The admin approves it.
  const adminContext = await visitor(browser, { locale: 'fr-FR' });
  const adminPage = await adminContext.newPage();
  await logIn(adminPage, admin.email, admin.password);
  await adminPage.goto(base + '/admin/signups');
  await adminPage.getByRole('button', { name: 'Accepter Les Amis du Jardin' }).click();
  await adminPage.getByText('Inscription acceptée').waitFor();
  await adminContext.close();

  // The manager logs in: the dashboard.
  await logIn(page, 'camille@amis-jardin.test', 'correct horse battery');
  await page.getByRole('heading', { name: 'Les Amis du Jardin' }).waitFor();
  const dashboard = page.url();

  // Subscribes: the plan chosen at sign-up is preselected, the cost is shown before confirming.
  await page.getByRole('link', { name: 'Voir ou changer l’abonnement' }).click();
  await page.getByLabel(/Site associatif — 30,00\s€ par an/).check();
  await page.getByRole('button', { name: 'Voir ce que ça coûte' }).click();
  await page.getByRole('heading', { name: 'Ce que coûte ce choix' }).waitFor();
  assert.match(await page.locator('.preview').innerText(), /À payer\s+30,00\s€/);
  await expectAccessible(page, 'flow-subscription-preview-fr');
  await page.getByRole('button', { name: 'Confirmer' }).click();
  await page.getByText('Abonnement enregistré').waitFor();

  // Creates its website, which becomes active: a real guest booted and passed its health check.
  await page.goto(dashboard);
  await page.locator('#name').fill('site');
  await page.getByRole('button', { name: 'Créer', exact: true }).click();
  await page.getByText('Le service est en cours de création').waitFor();
  await screenshot(page, 'flow-dashboard-provisioning-fr');
  await waitForState(page, 'site', 'actif', 420);
  await expectAccessible(page, 'flow-dashboard-active-fr');

  // Its welcome page answers at the address the dashboard links to.
  const address = await page.getByRole('link', { name: /Ouvrir site/ }).getAttribute('href');
  assert.match(address, /^http:\/\/127\.0\.0\.1:\d+/);
  const site = await context.newPage();
  await site.goto(address);
  await site.getByText('Les Amis du Jardin').first().waitFor();

  // Publishes its content: a tar of its pages; served once the guest restarted on it.
  const content = path.join(work, 'content');
  fs.mkdirSync(content);
  fs.writeFileSync(path.join(content, 'index.html'),
                   '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Jardin</title><h1>Bienvenue au jardin partagé</h1></html>');
  const tar = path.join(work, 'site.tar');
  execFileSync('tar', ['-cf', tar, '-C', content, 'index.html']);
  await page.getByRole('link', { name: 'Mettre en ligne site' }).click();
  await page.getByRole('heading', { name: /Mettre en ligne le site/ }).waitFor();
  await expectAccessible(page, 'flow-upload-fr');
  await page.getByLabel('Archive du site').setInputFiles(tar);
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await page.waitForURL(/done=uploaded/);
  let served = '';
  await eventually(async () => {
    served = await fetch(address).then((r) => r.text()).catch(() => '');
    return served.includes('Bienvenue au jardin partagé');
  }, { seconds: 300, intervalMs: 500 });
  assert.match(served, /Bienvenue au jardin partagé/);
  await site.goto(address + '?published');  // not the welcome page the browser has in its cache
  await site.getByRole('heading', { name: 'Bienvenue au jardin partagé' }).waitFor();
  await screenshot(site, 'flow-website-content');

  // Downloads its invoice as a PDF.
  await page.goto(dashboard);
  const invoiceLink = page.getByRole('link', { name: /Télécharger \(PDF\)/ }).first();
  const [pdf] = await Promise.all([page.waitForEvent('download'), invoiceLink.click()]);
  const pdfFile = path.join(work, 'invoice.pdf');
  await pdf.saveAs(pdfFile);
  const bytes = fs.readFileSync(pdfFile);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.match(pdf.suggestedFilename(), /^F-\d{4}-\d{6}\.pdf$/);

  // Exports all of its data: its records, its invoices, its website's content.
  const [exported] = await Promise.all([page.waitForEvent('download'),
                                        page.getByRole('link', { name: 'Exporter toutes les données de l’association' }).click()]);
  const zipFile = path.join(work, 'export.zip');
  await exported.saveAs(zipFile);
  const entries = zipEntries(zipFile);
  for (const expected of ['README.txt', 'association.json', 'services/site/site.tar']) {
    assert.ok(entries.includes(expected), `${expected} in ${entries.join(', ')}`);
  }
  assert.ok(entries.some((e) => /^invoices\/F-\d{4}-\d{6}\.pdf$/.test(e)), entries.join(', '));
  await screenshot(page, 'flow-dashboard-end-fr');
  await context.close();
});
