// Page-level helpers: what a person does in the UI, and what the tests wait for.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { PASSWORD, screenshotDir } from './harness.ts';

export async function registerViaUi(page: Page, base: string, fullName: string, username: string): Promise<void> {
  await page.goto(`${base}/register`);
  await page.fill('#reg-fullName', fullName);
  await page.fill('#reg-username', username);
  await page.fill('#reg-email', `${username}@example.com`);
  await page.fill('#reg-password', PASSWORD);
  await page.fill('#reg-confirmPassword', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await page.locator('[data-testid=me-name]', { hasText: fullName }).waitFor();
}

export async function loginViaUi(page: Page, base: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await page.locator('[data-testid=me-name]').filter({ hasNotText: '…' }).waitFor();
}

export function roomItem(page: Page, title: string): Locator {
  return page.locator(`.room-item[data-title="${title}"]`);
}

export async function openRoom(page: Page, title: string): Promise<void> {
  await roomItem(page, title).click();
  await page.locator('[data-testid=chat-title]', { hasText: title }).waitFor();
}

export async function send(page: Page, text: string): Promise<void> {
  const box = page.locator('[data-testid=composer]');
  await box.click();
  await box.fill(text);
  await box.press('Enter');
}

export function message(page: Page, text: string): Locator {
  return page.locator('[data-testid=message]').filter({ has: page.locator('[data-testid=message-text]', { hasText: text }) });
}

export async function tickOf(page: Page, text: string): Promise<string | null> {
  return message(page, text).last().getAttribute('data-tick');
}

/** Waits until the own message's tick is `want` (polling the DOM attribute, no sleeps). */
export async function waitForTick(page: Page, text: string, want: string, timeout = 15_000): Promise<void> {
  await message(page, text).last().and(page.locator(`[data-tick="${want}"]`)).waitFor({ timeout });
}

export async function shot(page: Page, name: string): Promise<void> {
  if (process.env.NO_SCREENSHOTS) return;
  mkdirSync(screenshotDir, { recursive: true });
  // Let fonts and images settle; freeze animations (spinners) for stable pictures.
  await page.evaluate(() => document.fonts.ready);
  await page.addStyleTag({ content: '*,*::before,*::after{animation:none!important;transition:none!important;caret-color:transparent!important} app-toasts{display:none!important}' });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), animations: 'disabled' });
}

/** All message texts in the open room, in order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid=message-text]').allInnerTexts();
}

export interface StompTrace {
  /** Per WebSocket: the destinations of every SUBSCRIBE frame, in order. */
  subscribes: string[][];
  /** Bodies of SENDs to /app/chat.sendMessage that carry a status. */
  statusSends: { messageId: string; status: string }[];
}

/** Records the STOMP frames a page sends (SockJS wraps them in JSON arrays of strings). */
export function traceStomp(page: Page): StompTrace {
  const trace: StompTrace = { subscribes: [], statusSends: [] };
  page.on('websocket', (ws) => {
    const subs: string[] = [];
    trace.subscribes.push(subs);
    ws.on('framesent', (f) => {
      const raw = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
      let chunks: string[];
      try {
        const v = JSON.parse(raw);
        chunks = Array.isArray(v) ? v.map(String) : [raw];
      } catch {
        chunks = [raw];
      }
      for (const frame of chunks.join('').split('\0')) {
        const [head, body = ''] = frame.split('\n\n');
        const lines = (head ?? '').replace(/^\n+/, '').split('\n');
        const cmd = lines[0];
        const dest = lines.find((l) => l.startsWith('destination:'))?.slice('destination:'.length);
        if (cmd === 'SUBSCRIBE' && dest) subs.push(dest);
        if (cmd === 'SEND' && dest === '/app/chat.sendMessage' && body.includes('"status"')) {
          try {
            const b = JSON.parse(body) as { messageId: string; status: string };
            trace.statusSends.push({ messageId: b.messageId, status: b.status });
          } catch {
            /* not JSON */
          }
        }
      }
    });
  });
  return trace;
}

/** Fails when a connection subscribed to a destination twice, or a status was sent twice. */
export function assertNoDuplicateSubscriptions(trace: StompTrace): void {
  for (const subs of trace.subscribes) {
    const seen = new Set<string>();
    for (const d of subs) {
      if (seen.has(d)) throw new Error(`duplicate SUBSCRIBE to ${d} on one connection: ${subs.join(', ')}`);
      seen.add(d);
    }
  }
  const sends = new Set<string>();
  for (const s of trace.statusSends) {
    const k = `${s.messageId}:${s.status}`;
    if (sends.has(k)) throw new Error(`status ${s.status} sent twice for ${s.messageId}`);
    sends.add(k);
  }
}
