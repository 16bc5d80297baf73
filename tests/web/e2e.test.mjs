// Browser tests (issue 4) in a real headless Chromium against the real
// casesync-server (--demo, free port, temporary data, --web web/dist).
//
//   node --test tests/web/e2e.test.mjs        (ctest: web_e2e)
//   CASESYNC_SERVER_BIN, CASESYNC_WEB_DIST    override the defaults
//
// Exit code 77 (ctest SKIP_RETURN_CODE) only when Chromium or playwright-core
// is missing. Screenshots (360 px) go to build/web-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';

import {
  apiLogin,
  CHROMIUM,
  chromiumAvailable,
  DEMO,
  launch,
  repo,
  serverCases,
  startServer,
} from './harness.mjs';

if (!chromiumAvailable()) {
  console.log(`SKIP: ${CHROMIUM} or playwright-core (web/node_modules) is missing`);
  process.exit(77);
}

const dist = process.env.CASESYNC_WEB_DIST ?? path.join(repo, 'web/dist');
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.log(`FAIL: ${dist}/index.html missing: build the web app first ` +
              '(tools/lib/build.sh casesync_build_web)');
  process.exit(1);
}

const artifacts = path.join(repo, 'build/web-artifacts');
fs.mkdirSync(artifacts, {recursive: true});
const T = 30000;

let srv;
let browser;
before(async () => {
  srv = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function newPage(ctx, {width = 1024} = {}) {
  const p = await ctx.newPage();
  await p.setViewportSize({width, height: 800});
  p.on('pageerror', (e) => console.log('pageerror:', e.message));
  p.on('console', (m) => {
    if (m.type() === 'error') console.log('console:', m.text());
  });
  return p;
}

async function signIn(p, who) {
  await p.goto(srv.url);
  await need(p, '#email');
  await p.fill('#email', who.email);
  await p.fill('#password', who.password);
  await p.click('#login button[type=submit]');
  await need(p, 'nav');  // signed in
}

// Waits until the service worker controls the page (the shell is cached).
async function swReady(p) {
  await p.waitForFunction(() => !!navigator.serviceWorker.controller,
                          null, {timeout: T});
}

async function pickFirst(p, sel) {
  await p.waitForFunction(
      (s) => document.querySelector(s)?.options.length > 1, sel, {timeout: T});
  const v = await p.$eval(sel, (el) => el.options[1].value);
  await p.selectOption(sel, v);
}

async function fileCase(p, subject, description) {
  await p.goto(`${srv.url}/#/solicitar`);
  await need(p, '#request');
  await pickFirst(p, '#f-serviceId');
  await pickFirst(p, '#f-productId');
  await pickFirst(p, '#f-issueTypeId');
  await p.fill('#f-contactHours', 'Lunes a viernes 8:00 a 17:00');
  await p.fill('#f-contactPhone', '+57 310 555 0101');
  await p.fill('#f-subject', subject);
  await p.fill('#f-description', description);
  await p.click('#request button[type=submit]');
  await need(p, '#case-number');
  return decodeURIComponent(new URL(p.url()).hash.replace('#/caso/', ''));
}

// The case on screen is in `state` and confirmed by the server (no
// "Pendiente" mark: the pull brought the mutation's effect).
async function synced(p, state) {
  await p.waitForFunction(
      (re) => {
        const el = document.querySelector('#case-state');
        return el && new RegExp(re).test(el.textContent) &&
            !el.querySelector('.pending-mark');
      },
      state.source, {timeout: T});
}

// waitForSelector that shows the page when it times out.
async function need(p, sel) {
  try {
    return await p.waitForSelector(sel, {timeout: T});
  } catch (e) {
    const body = await p.textContent('body').catch(() => '?');
    console.log(`page ${p.url()} while waiting for ${sel}:\n${
        body.replace(/\s+/g, ' ').slice(0, 1500)}`);
    throw e;
  }
}

const text = (p, sel) => p.textContent(sel).then((s) => s.trim());

async function waitText(p, sel, re) {
  await p.waitForFunction(
      ({sel, re}) => new RegExp(re).test(
          document.querySelector(sel)?.textContent ?? ''),
      {sel, re: re.source}, {timeout: T});
}

let offlineCaseId;
let customerPage;

test('offline story: a case filed offline survives a reload and syncs once',
     async () => {
  const ctx = await browser.newContext();
  const p = await newPage(ctx);
  await signIn(p, DEMO.laura);
  await swReady(p);
  await waitText(p, '#net', /en línea/);

  await ctx.setOffline(true);
  const subject = `Sin señal en el bus ${Date.now()}`;
  const id = await fileCase(p, subject, 'El token no firma desde el bus.');
  assert.match(await text(p, '#case-number'), /Pendiente/);

  await p.reload();
  await p.waitForSelector('table.cases, #case-number', {timeout: T});
  await p.goto(`${srv.url}/#/casos`);
  await need(p, `tr[data-id="${id}"]`);
  assert.match(await text(p, `tr[data-id="${id}"] td`), /Pendiente/);
  assert.match(await text(p, '#pending'), /^[1-9]/);

  await ctx.setOffline(false);
  await waitText(p, `tr[data-id="${id}"] td`, /CS\d{7}/);
  const agent = await apiLogin(srv.url, DEMO.sofia);
  const same = (await serverCases(srv.url, agent))
                   .filter((c) => c.subject === subject);
  assert.equal(same.length, 1, 'exactly one case on the server');
  assert.equal(same[0].id, id);
  offlineCaseId = id;
  customerPage = p;
});

test('live update: the agent resolves, the customer sees it and accepts',
     async () => {
  assert.ok(offlineCaseId, 'needs the offline story');
  const p = customerPage;
  await p.goto(`${srv.url}/#/caso/${encodeURIComponent(offlineCaseId)}`);
  await waitText(p, '#case-state', /Nuevo/);

  const actx = await browser.newContext();
  const a = await newPage(actx);
  await signIn(a, DEMO.sofia);
  await a.goto(`${srv.url}/#/caso/${encodeURIComponent(offlineCaseId)}`);
  await need(a, '#resolve-form');
  await a.fill('#res-code', 'TOKEN-RESET');
  await a.fill('#res-notes', 'Se desbloqueó el token; pruebe de nuevo.');
  await a.click('#resolve-form button[type=submit]');
  await synced(a, /Resuelto/);

  await waitText(p, '#case-state', /Resuelto/);  // no reload: poke + pull
  await p.click('#accept');
  await synced(p, /Cerrado/);
  const agent = await apiLogin(srv.url, DEMO.sofia);
  const c = (await serverCases(srv.url, agent)).find((x) => x.id === offlineCaseId);
  assert.equal(c.state, 'closed');
  await actx.close();
});

test('conflict: an offline comment on a case closed meanwhile becomes a follow-up',
     async () => {
  const p = customerPage;
  const ctx = p.context();
  const id = await fileCase(p, `Conflicto ${Date.now()}`, 'Caso para el conflicto.');
  await waitText(p, '#case-number', /CS\d{7}/);

  await ctx.setOffline(true);
  const typed = 'Sigo sin poder firmar facturas, por favor revisen.';
  await p.fill('#comment', typed);
  await p.click('#comment-form button[type=submit]');
  await waitText(p, '#pending', /^[1-9]/);

  const agent = await apiLogin(srv.url, DEMO.sofia);
  const actx = await browser.newContext();
  const a = await newPage(actx);
  await signIn(a, DEMO.sofia);
  await a.goto(`${srv.url}/#/caso/${encodeURIComponent(id)}`);
  await need(a, '#close-form');
  await a.fill('#close-notes', 'Cerrado por la mesa de ayuda.');
  await a.click('#close-form button[type=submit]');
  await synced(a, /Cerrado/);
  await actx.close();

  await ctx.setOffline(false);
  await need(p, '.rejection[data-code="case_terminal"]');
  assert.match(await text(p, '.rejection .kept'), /Sigo sin poder firmar/);
  await p.click('.rejection .followup');
  await need(p, '#request');
  await p.waitForFunction(
      (t) => document.querySelector('#f-description')?.value.includes(t),
      'Sigo sin poder firmar', {timeout: T});
  await p.click('#request button[type=submit]');
  await need(p, '#case-number');
  await waitText(p, '#case-number', /CS\d{7}/);
  const follow = (await serverCases(srv.url, agent))
                     .filter((c) => c.parentId === id);
  assert.equal(follow.length, 1);
  assert.match(follow[0].description, /Sigo sin poder firmar/);
});

test('two tabs: the second works through the first and takes over', async () => {
  const ctx = await browser.newContext();
  const p1 = await newPage(ctx);
  await signIn(p1, DEMO.laura);
  await need(p1, 'table.cases');
  const p2 = await newPage(ctx);
  await p2.goto(`${srv.url}/#/casos`);
  await need(p2, 'table.cases');
  await waitText(p2, '#status', /otra pestaña/);
  const id = await fileCase(p2, `Desde la segunda pestaña ${Date.now()}`,
                            'Creado en la pestaña que no es dueña.');
  await p1.goto(`${srv.url}/#/casos`);
  await need(p1, `tr[data-id="${id}"]`);
  await p1.close();
  // The lock frees: the second tab opens the database itself.
  await p2.waitForFunction(
      () => !/otra pestaña/.test(document.querySelector('#status').textContent),
      null, {timeout: T});
  await p2.goto(`${srv.url}/#/casos`);
  await p2.reload();
  await need(p2, `tr[data-id="${id}"]`);
  await ctx.close();
});

test('session expiring while offline: data stays readable, work queues',
     async () => {
  const who = {...DEMO.carlos};
  const ctx = await browser.newContext();
  const p = await newPage(ctx);
  await signIn(p, who);
  await need(p, 'table.cases');
  await ctx.setOffline(true);
  const subject = `Mientras expira ${Date.now()}`;
  const id = await fileCase(p, subject, 'Creado sin conexión antes de expirar.');

  // The session is revoked meanwhile (a password change elsewhere).
  const token = await apiLogin(srv.url, who);
  const newPassword = 'Otraclave-2026-x';
  const r = await fetch(`${srv.url}/api/v1/auth/password`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', Authorization: `Bearer ${token}`},
    body: JSON.stringify({oldPassword: who.password, newPassword}),
  });
  assert.equal(r.status, 200, await r.text());

  await ctx.setOffline(false);
  await p.evaluate(() => dispatchEvent(new Event('online')));
  await need(p, '#expired');
  await p.goto(`${srv.url}/#/casos`);
  await need(p, `tr[data-id="${id}"]`);  // readable
  const second = await fileCase(p, `${subject} (2)`, 'En cola con la sesión vencida.');
  assert.match(await text(p, '#case-number'), /Pendiente/);
  await waitText(p, '#pending', /^2/);

  await p.click('#expired a');
  await p.fill('#email', who.email);
  await p.fill('#password', newPassword);
  await p.click('#login button[type=submit]');
  await p.goto(`${srv.url}/#/casos`);
  await waitText(p, `tr[data-id="${second}"] td`, /CS\d{7}/);
  await waitText(p, `tr[data-id="${id}"] td`, /CS\d{7}/);
  await ctx.close();
});

test('360 px, labels, draft autosave across a reload, inline validation',
     async () => {
  const ctx = await browser.newContext({viewport: {width: 360, height: 740}});
  const p = await newPage(ctx, {width: 360});
  await signIn(p, DEMO.laura);
  await need(p, 'table.cases');
  const overflow = await p.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page wider than 360 px by ${overflow}`);
  await p.screenshot({path: path.join(artifacts, 'list-360.png'), fullPage: true});
  await p.goto(`${srv.url}/#/solicitar`);
  await need(p, '#request');
  // Every control has a label.
  const unlabelled = await p.$$eval('input, select, textarea', (els) => els
      .filter((e) => e.type !== 'hidden' && !e.labels?.length &&
                     !e.getAttribute('aria-label'))
      .map((e) => e.id || e.name));
  assert.deepEqual(unlabelled, []);
  // The draft autosaves and survives a reload.
  await p.fill('#f-subject', 'Borrador que sobrevive');
  await p.waitForTimeout(800);
  await p.reload();
  await need(p, '#request');
  await p.waitForFunction(
      () => document.querySelector('#f-subject')?.value === 'Borrador que sobrevive',
      null, {timeout: T});
  await p.fill('#f-subject', '');
  await p.click('#request button[type=submit]');  // inline validation
  await need(p, '[aria-invalid="true"]');
  await p.screenshot({path: path.join(artifacts, 'form-360.png'), fullPage: true});
  await ctx.close();
});
