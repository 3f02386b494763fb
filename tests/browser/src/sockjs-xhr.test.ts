// The web client in a browser without WebSocket: sockjs-client falls back to xhr-streaming, and
// Chromium's cookie jar carries the `parley_sockjs` binding key on every request of the session,
// so the session is bound to this browser (not to its address) and chat works as usual.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, seedUser } from './harness.ts';
import { loginViaUi, message, openRoom, send } from './ui.ts';

const fx = serverAndBrowser();

test('without WebSocket the client chats over xhr-streaming, bound to its cookie', async () => {
  const [ua, ub] = await Promise.all([seedUser(fx.srv, 'Wanda Websocket'), seedUser(fx.srv, 'Xavier Xhr')]);
  await fx.srv.api('POST', '/chat/rooms', ua.accessToken, { type: 'DIRECT_MESSAGE', name: 'dm', description: '', memberIds: [ub.userId] });
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  await b.page.addInitScript(() => {
    // What a proxy that refuses upgrades looks like to sockjs-client.
    delete (window as { WebSocket?: unknown }).WebSocket;
  });
  const sends: Array<Promise<{ url: string; cookie: string | undefined }>> = [];
  // Collected until the checks start: a send made later (a typing event, a heart-beat) would read
  // its headers after the browser closed, and that rejection would fail the file.
  let collecting = true;
  b.page.on('request', (r) => {
    if (collecting && r.url().includes('/xhr_send')) sends.push(r.allHeaders().then((h) => ({ url: r.url(), cookie: h['cookie'] })));
  });

  await Promise.all([loginViaUi(a.page, fx.srv.base, ua.username), loginViaUi(b.page, fx.srv.base, ub.username)]);
  await openRoom(a.page, 'Xavier Xhr');
  await openRoom(b.page, 'Wanda Websocket');
  await send(b.page, 'sent over xhr_send');
  await message(a.page, 'sent over xhr_send').waitFor();
  await send(a.page, 'received over xhr_streaming');
  await message(b.page, 'received over xhr_streaming').waitFor();

  const cookies = (await b.ctx.cookies(`${fx.srv.base}/ws/`)).filter((c) => c.name === 'parley_sockjs');
  assert.equal(cookies.length, 1, JSON.stringify(cookies));
  assert.equal(cookies[0]!.httpOnly, true);
  assert.equal(cookies[0]!.sameSite, 'Strict');
  assert.equal(cookies[0]!.path, '/ws');
  collecting = false;
  assert.ok(sends.length > 0, 'the page used xhr_send');
  for (const s of await Promise.all(sends)) assert.ok(s.cookie?.includes(`parley_sockjs=${cookies[0]!.value}`), `${s.url} carries the key: ${s.cookie}`);
  // The page cannot read the key (HttpOnly), so a script injected into it cannot leak it.
  assert.equal(await b.page.evaluate(() => document.cookie.includes('parley_sockjs')), false);
});
