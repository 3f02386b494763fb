// Two people in two browser contexts: register, start a DM, exchange messages, see each other's
// typing indicator, ticks (sent → delivered → read) and presence. Also takes the screenshots of
// the login page, the chat home with a DM open and the profile page (desktop and phone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DESKTOP, PHONE, serverAndBrowser, newUserContext, uniqueName } from './harness.ts';
import { assertNoDuplicateSubscriptions, loginViaUi, message, openRoom, registerViaUi, roomItem, send, shot, traceStomp, waitForTick } from './ui.ts';

const fx = serverAndBrowser();

test('two users chat in a DM: messages, typing, ticks, presence', async () => {
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  const traces = [traceStomp(a.page), traceStomp(b.page)];
  const aName = 'Ada Lovelace';
  const bName = 'Brian Kernighan';
  const aUser = 'ada';
  const bUser = 'brian';

  await a.page.goto(`${fx.srv.base}/`);
  await a.page.waitForURL(/\/login$/);
  await shot(a.page, 'login-desktop');

  await registerViaUi(a.page, fx.srv.base, aName, aUser);
  await registerViaUi(b.page, fx.srv.base, bName, bUser);

  // A starts a DM with B through the user search.
  await a.page.click('[data-testid=new-chat]');
  await a.page.getByRole('dialog').getByRole('searchbox').fill(bUser.slice(0, 8));
  await a.page.locator(`.user-result[data-username="${bUser}"]`).click();
  await a.page.locator('[data-testid=chat-title]', { hasText: bName }).waitFor();

  // The room appears live for B (ROOM_ADDED on /user/queue/events), without a reload.
  await roomItem(b.page, aName).waitFor();

  // B leaves the app: A's message stays "sent" and A sees B go offline.
  await b.page.goto('about:blank');
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: /Last seen|Offline/ }).waitFor();
  await send(a.page, 'Are you there?');
  await waitForTick(a.page, 'Are you there?', 'sent');

  // B comes back: presence turns Online, the message is delivered (B has not opened the chat).
  await b.page.goto(`${fx.srv.base}/`);
  await roomItem(b.page, aName).waitFor();
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: 'Online' }).waitFor();
  await waitForTick(a.page, 'Are you there?', 'delivered');
  assert.equal(await roomItem(b.page, aName).locator('[data-testid=unread-badge]').innerText(), '1');

  // B opens the chat and sees the message: A's tick turns to read.
  await openRoom(b.page, aName);
  await message(b.page, 'Are you there?').waitFor();
  await waitForTick(a.page, 'Are you there?', 'read');
  await roomItem(b.page, aName).locator('[data-testid=unread-badge]').waitFor({ state: 'detached' });

  // Typing: B types, A sees "typing…" in the header; it goes away when B stops.
  await b.page.locator('[data-testid=composer]').click();
  await b.page.keyboard.type('Yes, ', { delay: 20 });
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: 'typing' }).waitFor();
  await b.page.keyboard.type('here!');
  await b.page.keyboard.press('Enter');
  await message(a.page, 'Yes, here!').waitFor();
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: 'Online' }).waitFor();

  // Shift+Enter makes a new line; Enter sends. Both sides see both lines in one message.
  const composer = a.page.locator('[data-testid=composer]');
  await composer.click();
  await a.page.keyboard.type('Line one');
  await a.page.keyboard.press('Shift+Enter');
  await a.page.keyboard.type('Line two');
  await a.page.keyboard.press('Enter');
  await message(b.page, 'Line one\nLine two').waitFor();
  await waitForTick(a.page, 'Line one', 'read');

  // Typing shown in B's sidebar when the chat is not open: B goes back to the list (Esc).
  await b.page.keyboard.press('Escape');
  await b.page.waitForURL(`${fx.srv.base}/`);
  await composer.click();
  await a.page.keyboard.type('One more thing');
  await roomItem(b.page, aName).locator('[data-testid=room-typing]').waitFor();
  await a.page.keyboard.press('Enter');
  await roomItem(b.page, aName).locator('[data-testid=room-preview]', { hasText: 'One more thing' }).waitFor();
  assert.match(await b.page.title(), /^\(1\) Parley$/);

  // Own and other bubbles, no duplicates on either side.
  for (const p of [a.page, b.page]) {
    if (p === b.page) await openRoom(b.page, aName);
    for (const t of ['Are you there?', 'Yes, here!', 'One more thing']) assert.equal(await message(p, t).count(), 1, `one "${t}"`);
  }
  assert.equal(await message(a.page, 'Yes, here!').getAttribute('data-mine'), 'false');
  assert.equal(await message(a.page, 'Are you there?').getAttribute('data-mine'), 'true');
  await waitForTick(a.page, 'One more thing', 'read');
  await b.page.waitForFunction(() => document.title === 'Parley');

  await shot(a.page, 'chat-dm-desktop');

  // The original client re-subscribed every room on each room-list change and sent DELIVERED
  // more than once: here every connection subscribes to a destination once, and each status once.
  for (const t of traces) assertNoDuplicateSubscriptions(t);
  assert.ok(traces[0]!.subscribes.flat().some((d) => /^\/topic\/rooms\/\d+$/.test(d)), 'room topic subscribed');
  assert.ok(traces[1]!.statusSends.some((s) => s.status === 'DELIVERED'), 'B sent DELIVERED');

  // Profile: own (inline edit) and other (start chat).
  await a.page.click('[data-testid=me-link]');
  await a.page.waitForURL(`${fx.srv.base}/user/me`);
  await a.page.click('[data-edit=bio]');
  await a.page.fill('[data-input=bio]', 'x'.repeat(256));
  await a.page.click('[data-save=bio]');
  await a.page.getByRole('alert').filter({ hasText: 'at most 255' }).waitFor();
  await a.page.fill('[data-input=bio]', 'Analytical engines, poetical science.');
  await a.page.click('[data-save=bio]');
  await a.page.locator('[data-value=bio]', { hasText: 'Analytical engines' }).waitFor();
  await shot(a.page, 'profile-desktop');

  await b.page.goto(`${fx.srv.base}/user/${aUser}`);
  await b.page.locator('[data-testid=profile-name]', { hasText: aName }).waitFor();
  await b.page.locator('text=Analytical engines, poetical science.').waitFor();
  await b.page.click('[data-testid=start-chat]');
  await b.page.locator('[data-testid=chat-title]', { hasText: aName }).waitFor();
  assert.equal(await b.page.locator('.room-item').count(), 1, 'Start chat reuses the existing DM');

  // Phone-sized screens: list and chat are separate views.
  const phone = await newUserContext(fx.browser, PHONE);
  await phone.page.goto(`${fx.srv.base}/login`);
  await shot(phone.page, 'login-phone');
  await loginViaUi(phone.page, fx.srv.base, aUser);
  assert.equal(await phone.page.locator('[data-testid=message-list]').count(), 0);
  await openRoom(phone.page, bName);
  await message(phone.page, 'One more thing').waitFor();
  assert.equal(await phone.page.locator('aside[aria-label=Conversations]').isVisible(), false, 'phone: the list is hidden while a chat is open');
  await shot(phone.page, 'chat-dm-phone');
  await phone.page.getByRole('link', { name: 'Back to conversations' }).click();
  await roomItem(phone.page, bName).waitFor();
  await shot(phone.page, 'chat-list-phone');
  await phone.page.goto(`${fx.srv.base}/user/me`);
  await phone.page.locator('[data-value=bio]', { hasText: 'Analytical engines' }).waitFor();
  await shot(phone.page, 'profile-phone');
  void DESKTOP;

  // Logout ends the session: back to the login page; the app is closed to it afterwards.
  await phone.page.click('[data-testid=profile-logout]');
  await phone.page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
  await phone.page.waitForURL(/\/login$/);
  await phone.page.goto(`${fx.srv.base}/`);
  await phone.page.waitForURL(/\/login$/);

  await Promise.all([a.ctx.close(), b.ctx.close(), phone.ctx.close()]);
});

test('register and login validate like the server and show server errors inline', async () => {
  const { ctx, page } = await newUserContext(fx.browser);
  const taken = uniqueName('taken');
  await registerViaUi(page, fx.srv.base, 'Taken Name', taken);
  await page.evaluate(() => localStorage.clear());
  await page.goto(`${fx.srv.base}/register`);
  await page.fill('#reg-fullName', 'X');
  await page.fill('#reg-username', 'ab');
  await page.fill('#reg-email', 'not-an-email');
  await page.fill('#reg-password', 'password1!');
  await page.fill('#reg-confirmPassword', 'password1?');
  await page.click('button[type=submit]');
  const err = (f: string) => page.locator(`[data-field-error=${f}]`).innerText();
  assert.match(await err('fullName'), /2–100/);
  assert.match(await err('username'), /3–32/);
  assert.match(await err('email'), /valid email/);
  assert.match(await err('password'), /uppercase/);
  assert.match(await err('confirmPassword'), /do not match/);
  await page.fill('#reg-password', 'Pass word1!');
  assert.match(await err('password'), /spaces/);

  // Valid by the rules, but the username is taken: the server's 409 shows under the field.
  await page.fill('#reg-fullName', 'Second Person');
  await page.fill('#reg-username', taken);
  await page.fill('#reg-email', `${uniqueName('e')}@example.com`);
  await page.fill('#reg-password', 'Sup3r$ecret');
  await page.fill('#reg-confirmPassword', 'Sup3r$ecret');
  await page.click('button[type=submit]');
  await page.locator('[data-field-error=username]').waitFor();
  assert.match(await err('username'), /taken|exists|already/i);

  // A wrong password: one message, inline.
  await page.goto(`${fx.srv.base}/login`);
  await page.fill('#login-username', taken);
  await page.fill('#login-password', 'Wrong$Pass1');
  await page.click('button[type=submit]');
  assert.match(await page.locator('[data-testid=form-error]').innerText(), /Wrong username or password/);
  await ctx.close();
});
