// Infinite scroll through 200 messages (seeded over REST, which has no per-session rate limit):
// older pages load as the reader scrolls up, the reading position stays put, nothing is missing
// or doubled; new messages follow the end only when the reader is at the bottom.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, pollUntil, seedUser } from './harness.ts';
import { loginViaUi, message, messageTexts, openRoom } from './ui.ts';

const fx = serverAndBrowser();

const label = (i: number) => `message ${String(i).padStart(3, '0')}`;

test('infinite scroll through 200 messages keeps the position', async () => {
  const [ua, ub] = await Promise.all([seedUser(fx.srv, 'Reader One'), seedUser(fx.srv, 'Writer Two')]);
  const room = await fx.srv.api('POST', '/chat/rooms', ua.accessToken, { type: 'DIRECT_MESSAGE', name: 'dm', description: '', memberIds: [ub.userId] });
  assert.ok(room.status === 201 || room.status === 200, JSON.stringify(room.json));
  const chatId = room.json.chatId as number;
  for (let i = 1; i <= 200; i++) {
    const who = i % 3 === 0 ? ua : ub;
    const r = await fx.srv.api('POST', `/chat/rooms/${chatId}/messages`, who.accessToken, { content: label(i) });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }

  const { ctx, page } = await newUserContext(fx.browser);
  await loginViaUi(page, fx.srv.base, ua.username);
  await openRoom(page, 'Writer Two');
  await message(page, label(200)).waitFor();
  await pollUntil('the newest message in view', () => message(page, label(200)).isVisible());
  const first = await messageTexts(page);
  assert.equal(first.length, 50, 'the first page holds 50 messages');
  assert.equal(first[0], label(151));

  const list = page.locator('[data-testid=message-list]');
  let rounds = 0;
  for (;;) {
    const texts = await messageTexts(page);
    if (texts[0] === label(1)) break;
    assert.ok(++rounds <= 10, 'reached the first message within 10 pages');
    const anchor = message(page, texts[0]!);
    // Scroll to the very top: the anchor is near the top of the list now.
    await list.evaluate((el) => (el.scrollTop = 0));
    const before = await anchor.evaluate((el) => el.getBoundingClientRect().top);
    await pollUntil('older messages', async () => (await messageTexts(page))[0] !== texts[0], 15_000);
    await pollUntil('the position restored', async () => {
      const after = await anchor.evaluate((el) => el.getBoundingClientRect().top);
      return Math.abs(after - before) < 4;
    });
  }
  await page.locator('[data-testid=history-start]').waitFor();
  const all = await messageTexts(page);
  assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => label(i + 1)), 'all 200, in order, once each');

  // Scrolled up, a new message does not move the view; a button offers to jump down.
  const topBefore = await list.evaluate((el) => el.scrollTop);
  await fx.srv.api('POST', `/chat/rooms/${chatId}/messages`, ub.accessToken, { content: 'while you were reading' });
  await message(page, 'while you were reading').waitFor({ state: 'attached' });
  await page.locator('[data-testid=new-below]').waitFor();
  assert.equal(await list.evaluate((el) => el.scrollTop), topBefore, 'no jump while reading history');
  await page.click('[data-testid=new-below]');
  await pollUntil('at the bottom', () => message(page, 'while you were reading').isVisible());

  // At the bottom, new messages scroll into view by themselves.
  await fx.srv.api('POST', `/chat/rooms/${chatId}/messages`, ub.accessToken, { content: 'follow the end' });
  await pollUntil('auto-scroll', () => message(page, 'follow the end').isVisible());
  await ctx.close();
});
