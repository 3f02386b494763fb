// A group with three people: created from the UI, appears live for the others, messages with
// sender names, "Seen by N", and the group page (admins, add/remove member, make admin, leave).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PHONE, serverAndBrowser, newUserContext, seedUser } from './harness.ts';
import { loginViaUi, message, openRoom, roomItem, send, shot } from './ui.ts';

const fx = serverAndBrowser();

test('a group with three users', async () => {
  const [ua, ub, uc, ud] = await Promise.all([
    seedUser(fx.srv, 'Grace Hopper', 'grace'),
    seedUser(fx.srv, 'Alan Turing', 'alan'),
    seedUser(fx.srv, 'Katherine Johnson', 'katherine'),
    seedUser(fx.srv, 'Dennis Ritchie', 'dennis'),
  ]);
  const a = await newUserContext(fx.browser);
  const b = await newUserContext(fx.browser);
  const c = await newUserContext(fx.browser);
  let memberFetches = 0;
  a.page.on('request', (r) => {
    if (/\/chat\/rooms\/\d+\/members$/.test(new URL(r.url()).pathname) && r.method() === 'GET') memberFetches++;
  });
  await Promise.all([loginViaUi(a.page, fx.srv.base, ua.username), loginViaUi(b.page, fx.srv.base, ub.username), loginViaUi(c.page, fx.srv.base, uc.username)]);

  // Grace creates the group with the member picker.
  await a.page.click('[data-testid=new-group]');
  const dlg = a.page.getByRole('dialog');
  await dlg.locator('#group-name').fill('Compiler club');
  await dlg.locator('#group-desc').fill('Everything about compilers');
  for (const u of [ub, uc]) {
    await dlg.getByRole('searchbox').fill(u.username);
    await dlg.locator(`.user-result[data-username="${u.username}"]`).click();
  }
  await dlg.locator('[data-testid=create-group]').click();
  await a.page.locator('[data-testid=chat-title]', { hasText: 'Compiler club' }).waitFor();
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: 'Alan Turing' }).waitFor();

  // It appears live for the other two.
  await roomItem(b.page, 'Compiler club').waitFor();
  await roomItem(c.page, 'Compiler club').waitFor();
  await openRoom(b.page, 'Compiler club');
  await openRoom(c.page, 'Compiler club');

  await send(a.page, 'Welcome to the club!');
  await message(b.page, 'Welcome to the club!').waitFor();
  await message(c.page, 'Welcome to the club!').waitFor();
  // Sender names in groups, on the others' screens.
  assert.equal(await message(b.page, 'Welcome to the club!').locator('[data-testid=sender-name]').innerText(), 'Grace Hopper');
  // Both have it on screen: "Seen by 2" under Grace's latest message.
  await a.page.locator('[data-testid=seen-by]', { hasText: 'Seen by 2' }).waitFor();

  // Typing in a group names the typist.
  await c.page.locator('[data-testid=composer]').click();
  await c.page.keyboard.type('Thanks');
  await a.page.locator('[data-testid=chat-subtitle]', { hasText: 'Katherine is typing' }).waitFor();
  await c.page.keyboard.press('Enter');
  await send(b.page, 'Glad to be here');
  for (const p of [a.page, b.page, c.page]) {
    await message(p, 'Glad to be here').waitFor();
    await message(p, 'Thanks').waitFor();
  }

  // Group page: admin badge, make admin, add and remove members.
  await a.page.getByRole('link', { name: 'Group details', exact: true }).click();
  await a.page.locator('[data-testid=group-name]', { hasText: 'Compiler club' }).waitFor();
  assert.equal(await a.page.locator('[data-testid=member]').count(), 3);
  assert.equal(await a.page.locator('[data-testid=admin-badge]').count(), 1);
  const alan = a.page.locator(`[data-testid=member][data-username="${ub.username}"]`);
  await alan.locator('[data-testid=member-menu]').click();
  await alan.locator('[data-testid=toggle-admin]').click();
  await alan.locator('[data-testid=admin-badge]').waitFor();

  await a.page.click('[data-testid=add-member]');
  await a.page.getByRole('dialog').getByRole('searchbox').fill(ub.username);
  // Existing members are marked and cannot be picked.
  await a.page.getByRole('dialog').locator(`.user-result[data-username="${ub.username}"]`, { hasText: 'Already added' }).waitFor();
  await a.page.getByRole('dialog').getByRole('searchbox').fill(ud.username);
  await a.page.getByRole('dialog').locator(`.user-result[data-username="${ud.username}"]`).click();
  await a.page.locator(`[data-testid=member][data-username="${ud.username}"]`).waitFor();

  // Grace edits the description (admin only); Katherine sees it without edit buttons.
  await a.page.click('[data-edit=group-description]');
  await a.page.fill('[data-input=group-description]', 'Parsers, type checkers and code generators');
  await a.page.click('[data-save=group-description]');
  await a.page.locator('[data-value=group-description]', { hasText: 'Parsers' }).waitFor();
  await c.page.goto(`${fx.srv.base}/group/${await currentGroupId(a.page)}`);
  await c.page.locator('[data-value=group-description]', { hasText: 'Parsers' }).waitFor();
  assert.equal(await c.page.locator('[data-edit=group-description]').count(), 0, 'non-admins cannot edit');
  assert.equal(await c.page.locator('[data-testid=add-member]').count(), 0, 'non-admins cannot add members to a private group');
  await c.page.locator(`[data-testid=member][data-username="${ud.username}"]`).waitFor();

  await shot(a.page, 'group-desktop');
  assert.ok(memberFetches < 25, `member lists are fetched on changes only, not in a loop (${memberFetches})`);
  const phone = await newUserContext(fx.browser, PHONE);
  await loginViaUi(phone.page, fx.srv.base, ua.username);
  await phone.page.goto(`${fx.srv.base}/group/${await currentGroupId(a.page)}`);
  await phone.page.locator('[data-testid=member]').nth(3).waitFor();
  await shot(phone.page, 'group-phone');
  await phone.ctx.close();

  // Removing Dennis: he disappears for everyone.
  const dennis = a.page.locator(`[data-testid=member][data-username="${ud.username}"]`);
  await dennis.locator('[data-testid=member-menu]').click();
  await dennis.locator('[data-testid=remove-member]').click();
  await a.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await dennis.waitFor({ state: 'detached' });
  await c.page.locator(`[data-testid=member][data-username="${ud.username}"]`).waitFor({ state: 'detached' });

  // Katherine leaves: the group disappears from her list and she is back on the home page.
  await c.page.click('[data-testid=leave-group]');
  await c.page.getByRole('dialog').getByRole('button', { name: 'Leave' }).click();
  await c.page.waitForURL(`${fx.srv.base}/`);
  await roomItem(c.page, 'Compiler club').waitFor({ state: 'detached' });
  await a.page.locator(`[data-testid=member][data-username="${uc.username}"]`).waitFor({ state: 'detached' });

  // Grace deletes the group: Alan, who has it open, is sent back to the list.
  await openRoom(b.page, 'Compiler club').catch(() => undefined);
  await a.page.click('[data-testid=delete-group]');
  await a.page.getByRole('dialog').getByRole('button', { name: 'Delete group' }).click();
  await a.page.waitForURL(`${fx.srv.base}/`);
  await roomItem(b.page, 'Compiler club').waitFor({ state: 'detached' });
  await b.page.waitForURL(`${fx.srv.base}/`);

  await Promise.all([a.ctx.close(), b.ctx.close(), c.ctx.close()]);
});

async function currentGroupId(page: import('playwright-core').Page): Promise<string> {
  const m = /\/group\/(\d+)/.exec(page.url());
  assert.ok(m, `on a group page: ${page.url()}`);
  return m[1]!;
}
