import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRoom, registerMany, startServer, stopServer, type ParleyServer, type TestUser } from './harness.ts';
import { connectStomp, RawStomp, type SockJsTransport } from './stomp.ts';
let srv: ParleyServer;
before(async () => { srv = await startServer(); });
after(() => stopServer(srv));
for (const t of ['ws', 'websocket', 'xhr-streaming', 'xhr-polling']) {
  test(`transport ${t}`, async () => {
    const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const sa = await connectStomp(srv, a.accessToken);
    const sb = t === 'ws' ? await connectStomp(srv, b.accessToken) : await connectStomp(srv, b.accessToken, { transport: 'sockjs', sockjsTransports: [t as SockJsTransport] });
    const tb = await sb.subscribe(`/topic/rooms/${room.chatId}`);
    const ta = await sa.subscribe(`/topic/rooms/${room.chatId}`);
    const id = await sa.sendMessage(room.chatId, 'hi "x"\nline ✓');
    const m = await tb.waitFor((x) => x.messageId === id);
    assert.equal(m.content, 'hi "x"\nline ✓');
    const id2 = await sb.sendMessage(room.chatId, 'back');
    await ta.waitFor((x) => x.messageId === id2);
    const r = await sb.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: '' });
    assert.equal(r.ok, false);
    await Promise.all([sa.close(), sb.close()]);
    assert.equal(sb.isClosed, true);
  });
}
test('raw refused', async () => {
  const { raw, frame } = await RawStomp.connect(srv, 'garbage');
  assert.equal(frame.command, 'ERROR');
  assert.equal(frame.headers['code'], 'UNAUTHORIZED');
  await raw.waitClosed();
});
