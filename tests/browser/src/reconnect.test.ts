// The server restarts (same port and data directory) under two connected clients: both show the
// reconnecting state, reconnect by themselves, catch up with what was sent meanwhile, and a
// message written while offline is delivered once. Nothing is lost or doubled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverAndBrowser, newUserContext, seedUser } from './harness.ts';
import { loginViaUi, message, messageTexts, openRoom, send, waitForTick } from './ui.ts';

const fx = serverAndBrowser();

test('reconnect after a server restart loses no message', async () => {
  const [ua, ub] = await Promise.all([seedUser(fx.srv, 'Rita Restart'), seedUser(fx.srv, 'Sam Steady')]);
  const room = await fx.srv.api('POST', '/chat/rooms', ua.accessToken, { type: 'DIRECT_MESSAGE', name: 'dm', description: '', memberIds: [ub.userId] });
  const chatId = room.json.chatId as number;
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  await Promise.all([loginViaUi(a.page, fx.srv.base, ua.username), loginViaUi(b.page, fx.srv.base, ub.username)]);
  await openRoom(a.page, 'Sam Steady');
  await openRoom(b.page, 'Rita Restart');
  await send(a.page, 'before the restart');
  await message(b.page, 'before the restart').waitFor();
  await waitForTick(a.page, 'before the restart', 'read');

  await fx.srv.stop();
  await a.page.locator('[data-testid=connection-banner]').waitFor();
  await b.page.locator('[data-testid=connection-banner]').waitFor();

  // Written while the server is down: it waits as "sending".
  await send(a.page, 'written while offline');
  await waitForTick(a.page, 'written while offline', 'sending');

  await fx.srv.launch();
  // Sent by Sam (over REST) right after the restart, possibly before the clients are back.
  const missed = ['missed one', 'missed two', 'missed three'];
  for (const m of missed) {
    const r = await fx.srv.api('POST', `/chat/rooms/${chatId}/messages`, ub.accessToken, { content: m });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }

  await a.page.locator('[data-testid=connection-banner]').waitFor({ state: 'detached', timeout: 30_000 });
  await b.page.locator('[data-testid=connection-banner]').waitFor({ state: 'detached', timeout: 30_000 });
  for (const m of missed) await message(a.page, m).waitFor();
  await message(b.page, 'written while offline').waitFor();
  await waitForTick(a.page, 'written while offline', 'read');

  // And live delivery works again both ways.
  await send(b.page, 'after the restart');
  await message(a.page, 'after the restart').waitFor();

  const want = ['before the restart', 'written while offline', ...missed, 'after the restart'];
  for (const p of [a.page, b.page]) {
    const texts = await messageTexts(p);
    for (const w of want) assert.equal(texts.filter((t) => t === w).length, 1, `exactly one "${w}" in ${texts.join(' | ')}`);
    const seqs = (await p.locator('[data-testid=message]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))).filter(Boolean);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'seq has no gaps');
  }
  await Promise.all([a.ctx.close(), b.ctx.close()]);
});
