// An image sent from the composer (presigned upload, then an IMAGE message) shows for the other
// side, and opens in the viewer. Needs media uploads in the server (issue 3): when the server
// fails, the test reports the UI's error and the presign probe's answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, seedUser } from './harness.ts';
import { png } from './png.ts';
import { loginViaUi, openRoom } from './ui.ts';

const fx = serverAndBrowser();

test('an image upload is shown to the other side', async () => {
  const [ua, ub] = await Promise.all([seedUser(fx.srv, 'Pia Painter'), seedUser(fx.srv, 'Vic Viewer')]);
  await fx.srv.api('POST', '/chat/rooms', ua.accessToken, { type: 'DIRECT_MESSAGE', name: 'dm', description: '', memberIds: [ub.userId] });
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  await Promise.all([loginViaUi(a.page, fx.srv.base, ua.username), loginViaUi(b.page, fx.srv.base, ub.username)]);
  await openRoom(a.page, 'Vic Viewer');
  await openRoom(b.page, 'Pia Painter');

  await a.page.locator('[data-testid=file-input]').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: png(160, 120) });
  await a.page.locator('[data-testid=attachment-preview]').waitFor();
  await a.page.locator('[data-testid=composer]').fill('a picture for you');
  await a.page.locator('[data-testid=send]').click();

  const mine = a.page.locator('[data-testid=message]').filter({ has: a.page.locator('[data-testid=message-image]') });
  await mine.and(a.page.locator('[data-tick]:not([data-tick=sending])')).waitFor({ timeout: 20_000 });
  if ((await mine.getAttribute('data-tick')) === 'failed') {
    const why = await mine.locator('xpath=..').getByRole('alert').innerText().catch(() => '');
    await a.page.locator('[data-testid=retry]').waitFor();
    const probe = await fx.srv.api('POST', '/storage/presigned-url', ua.accessToken, { filename: 'x.png', contentType: 'image/png', size: 10 });
    assert.fail(`image upload failed: ${why} (presign probe: ${probe.status} ${JSON.stringify(probe.json)})`);
  }

  // Vic sees the image (loaded, not a broken link) and the caption.
  const img = b.page.locator('[data-testid=message-image]');
  await img.waitFor();
  await b.page.waitForFunction(() => {
    const el = document.querySelector<HTMLImageElement>('[data-testid=message-image]');
    return !!el && el.complete && el.naturalWidth === 160;
  });
  assert.match((await img.getAttribute('src')) ?? '', /\/media\//);
  await b.page.locator('[data-testid=message-text]', { hasText: 'a picture for you' }).waitFor();
  // The caption follows the picture, on both sides.
  for (const p of [a.page, b.page]) {
    const kinds = await p.locator('[data-testid=message]').evaluateAll((els) => els.map((e) => (e.querySelector('img') ? 'image' : e.textContent?.includes('a picture for you') ? 'caption' : 'other')));
    assert.deepEqual(kinds, ['image', 'caption']);
  }

  // The viewer opens on click and closes with Esc.
  await img.click();
  await b.page.locator('[data-testid=image-viewer]').waitFor();
  await b.page.keyboard.press('Escape');
  await b.page.locator('[data-testid=image-viewer]').waitFor({ state: 'detached' });

  // Avatar upload from the own profile: PATCH /users/me with the viewUrl; the sidebar shows it.
  await a.page.goto(`${fx.srv.base}/user/me`);
  await a.page.locator('[data-testid=avatar-input]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(64, 64) });
  await a.page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('app-avatar img');
    return !!img && img.complete && img.naturalWidth === 64 && img.src.includes('/media/');
  });
  const me = await fx.srv.api('GET', '/users/me', ua.accessToken);
  assert.match(me.json.avatar ?? '', /\/media\//);
  await Promise.all([a.ctx.close(), b.ctx.close()]);
});
