// Tokens refresh silently before they expire (rotating refresh tokens: the new one is kept), so a
// user with a 6-second access token keeps working; a session whose refresh token is revoked ends
// on the login page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, pollUntil, seedUser } from './harness.ts';
import { loginViaUi, message, openRoom, send, waitForTick } from './ui.ts';

const fx = serverAndBrowser([], { PARLEY_AUTH_ACCESS_TTL_SECONDS: '6' });

const stored = (page: import('playwright-core').Page) =>
  page.evaluate(() => JSON.parse(localStorage.getItem('parley.auth') ?? 'null') as { accessToken: string; refreshToken: string } | null);

test('silent token refresh keeps the session alive; a failed refresh leads to login', async () => {
  const [ua, ub] = await Promise.all([seedUser(fx.srv, 'Toni Token'), seedUser(fx.srv, 'Reno Refresh')]);
  await fx.srv.api('POST', '/chat/rooms', ua.accessToken, { type: 'DIRECT_MESSAGE', name: 'dm', description: '', memberIds: [ub.userId] });
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  await Promise.all([loginViaUi(a.page, fx.srv.base, ua.username), loginViaUi(b.page, fx.srv.base, ub.username)]);
  await openRoom(a.page, 'Reno Refresh');
  await openRoom(b.page, 'Toni Token');
  const first = await stored(a.page);
  assert.ok(first);

  // Two refreshes happen by themselves (each rotates the refresh token), well past the first
  // access token's expiry.
  const second = await pollUntil('a refresh', async () => {
    const s = await stored(a.page);
    return s && s.accessToken !== first.accessToken ? s : null;
  }, 15_000);
  assert.notEqual(second.refreshToken, first.refreshToken, 'the rotated refresh token is stored');
  await pollUntil('another refresh', async () => {
    const s = await stored(a.page);
    return s && s.accessToken !== second.accessToken ? s : null;
  }, 15_000);

  // REST and STOMP still work: profile loads, messages flow, nobody was sent to the login page.
  await send(a.page, 'still here after the refresh');
  await message(b.page, 'still here after the refresh').waitFor();
  await waitForTick(a.page, 'still here after the refresh', 'read');
  await a.page.click('[data-testid=me-link]');
  await a.page.locator('[data-testid=profile-name]', { hasText: 'Toni Token' }).waitFor();
  assert.doesNotMatch(a.page.url(), /login/);

  // Revoke this device's session on the server (logout with its refresh token): the next refresh
  // fails and the app goes to the login page.
  const cur = await stored(a.page);
  const r = await fx.srv.api('POST', '/auth/logout', undefined, { refreshToken: cur!.refreshToken });
  assert.equal(r.status, 204);
  await a.page.waitForURL(/\/login\?expired=1$/, { timeout: 20_000 });
  await a.page.getByText('Your session has ended').waitFor();
  await Promise.all([a.ctx.close(), b.ctx.close()]);
});
