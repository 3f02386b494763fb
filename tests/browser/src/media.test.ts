// An image sent from the composer (presigned upload, then an IMAGE message) shows for the other
// side, and opens in the viewer. Needs media uploads in the server (issue 3): when the server
// fails, the test reports the UI's error and the presign probe's answer.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, seedUser } from './harness.ts';
import { loginViaUi, openRoom } from './ui.ts';

const fx = serverAndBrowser();

/** A small RGB PNG (a colour gradient), built by hand so the test needs no image files. */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round((x / w) * 255);
      raw[o + 1] = Math.round((y / h) * 255);
      raw[o + 2] = 200;
    }
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

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
