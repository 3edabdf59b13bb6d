// End-to-end, an association's collaborative editor (issue 17): a real Etherpad in a real QEMU
// guest on the local libvirtd. Its manager creates the editor, creates a pad from the editor's
// section of the dashboard, which lists it with its link (axe clean on that section), and follows
// the link; two pages on the same pad see each other's typing within seconds (Etherpad's own socket
// connection); the editor's own pads page lists it too and is accessible (axe).
// run.sh skips it (77) outside CI when the editor's image is not built (REQUIRE_IMAGE=editor).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { base, launch, visitor, screenshot, expectAccessible, api, adminToken, logIn, eventually } =
  require('./support');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const plan = {
  slug: 'editeur', name: { fr: 'Éditeur collaboratif', en: 'Collaborative editor' }, templates: ['editor'],
  free: true, prices: [],
  quotas: { services: { included: 1, limit: 1 }, disk_gib: { included: 1, limit: 2 },
            memory_mib: { included: 1024, limit: 1024 }, vcpus: { included: 1, limit: 1 } },
};

// Etherpad's text area: the body of the inner frame of the outer frame of the pad page.
function padBody(page) {
  return page.frameLocator('iframe[name="ace_outer"]').frameLocator('iframe[name="ace_inner"]').locator('#innerdocbody');
}

test('an association writes on its editor\'s pad from two pages at once', async () => {
  const admin = await adminToken();
  assert.equal((await api('POST', '/api/v1/plans', admin, plan)).status, 201);
  const email = 'claude@redaction.test';
  const password = 'correct horse battery';
  const signup = await api('POST', '/api/v1/signup', null, {
    association: { name: 'Atelier d’écriture', kind: 'association', email },
    manager: { name: 'Claude', email, password }, plan: 'editeur', accept_terms: true,
  });
  assert.equal(signup.status, 201, JSON.stringify(signup.json));
  const association = signup.json.association.id;
  assert.equal((await api('POST', `/api/v1/associations/${association}/approve`, admin, {})).status, 200);

  const context = await visitor(browser, { locale: 'fr-FR' });
  const page = await context.newPage();
  await logIn(page, email, password);
  await page.goto(`${base}/associations/${association}`);
  await page.locator('#template').selectOption('editor');
  await page.locator('#name').fill('redaction');
  await page.locator('form[action$="/services"] button[type=submit]').click();

  // The editor's guest boots and Etherpad starts (about two minutes under software emulation):
  // its section of the dashboard stops saying that the editor is unreachable or not running.
  const section = page.locator('section.pads');
  const shown = await eventually(async () => {
    await page.goto(`${base}/associations/${association}`);
    return (await section.count()) > 0;
  }, { seconds: 60, intervalMs: 1000 });
  assert.ok(shown, 'the dashboard has a pads section for the editor');
  const serviceId = (await section.getAttribute('id')).replace(/^pads-/, '');
  const pads = page.locator(`#pads-${serviceId}`);
  const answering = await eventually(async () => {
    await page.goto(`${base}/associations/${association}`);
    return (await page.locator(`#pads-unavailable-${serviceId}, #pads-not-active-${serviceId}`).count()) === 0;
  }, { seconds: 600, intervalMs: 2000 });
  assert.ok(answering, `the editor does not answer after 600 s: ${await pads.innerText()}`);

  // A pad, created from the dashboard, listed there with its link.
  await page.locator(`#pad-name-${serviceId}`).fill('compte-rendu');
  await page.locator(`#pad-text-${serviceId}`).fill('Réunion du 6 décembre : ordre du jour.');
  await pads.locator('form button[type=submit]').click();
  await page.waitForURL(/done=pad_created/);
  const link = pads.locator('table').getByRole('link', { name: 'compte-rendu', exact: true });
  assert.equal(await link.count(), 1, 'the dashboard lists the pad with its link');
  const padUrl = await link.getAttribute('href');
  assert.match(padUrl, /^http:\/\/127\.0\.0\.1:\d+\/p\/compte-rendu$/);
  await expectAccessible(page, 'dashboard-pads', `#pads-${serviceId}`);

  // The editor's own pads page, linked from its row, lists it too.
  const padsLink = page.getByRole('link', { name: /Pads redaction/ });
  const padsUrl = base + await padsLink.getAttribute('href');
  await page.goto(padsUrl);
  assert.equal(await page.locator('#pads table').getByRole('link', { name: 'compte-rendu', exact: true })
    .getAttribute('href'), padUrl);
  await expectAccessible(page, 'pads');

  // Two pages on the same pad; one types, the other sees it within seconds.
  const writer = await (await visitor(browser, { locale: 'fr-FR' })).newPage();
  const reader = await (await visitor(browser, { locale: 'fr-FR' })).newPage();
  const consoles = [];
  for (const [name, p] of [['writer', writer], ['reader', reader]]) {
    p.on('console', (m) => consoles.push(`${name} ${m.type()}: ${m.text()}`));
    p.on('pageerror', (e) => consoles.push(`${name} pageerror: ${e.message}`));
    p.on('requestfailed', (r) => consoles.push(`${name} requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  }
  await writer.goto(padUrl);
  await reader.goto(padUrl);
  for (const [name, p] of [['writer', writer], ['reader', reader]]) {
    // The first pad.js may take a while when the guest is fresh.
    try {
      await padBody(p).getByText('Réunion du 6 décembre').waitFor({ timeout: 120000 });
    } catch (e) {
      await screenshot(p, `pad-${name}-not-loaded`);
      throw new Error(`${e.message}\nbrowser console:\n${consoles.join('\n')}`);
    }
  }
  const sentence = 'Une phrase écrite à deux, en même temps.';
  await padBody(writer).click();
  await writer.keyboard.press('Control+End');
  await writer.keyboard.press('Enter');
  await writer.keyboard.type(sentence);
  const seen = await eventually(async () => (await padBody(reader).innerText()).includes(sentence),
                                { seconds: 15, intervalMs: 250 });
  await screenshot(reader, 'pad-reader');
  assert.ok(seen, 'the second page sees the sentence typed on the first');

  // The pad's text through Chatière's API as well.
  const login = await api('POST', '/api/v1/sessions', null, { email, password });
  assert.equal(login.status, 201, JSON.stringify(login.json));
  const listed = await api('GET', `/api/v1/services/${serviceId}/pads`, login.json.token);
  assert.equal(listed.status, 200, JSON.stringify(listed.json));
  assert.deepEqual(listed.json.pads.map((p) => p.name), ['compte-rendu']);
  assert.ok(listed.json.pads[0].revisions >= 1);

  // A pad address typed by hand opens no pad (Etherpad's editOnly): the browser is refused, and
  // Chatière's list has no new pad.
  const stranger = await (await visitor(browser, { locale: 'en-US' })).newPage();
  await stranger.goto(padUrl.replace(/compte-rendu$/, 'tape-a-la-main'));
  await stranger.getByText(/permission/i).first().waitFor({ timeout: 120000 });
  await screenshot(stranger, 'pad-typed-by-hand');
  const after = await api('GET', `/api/v1/services/${serviceId}/pads`, login.json.token);
  assert.deepEqual(after.json.pads.map((p) => p.name), ['compte-rendu']);
});
