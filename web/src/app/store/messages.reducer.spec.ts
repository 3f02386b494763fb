import { ChatMessage, Message } from '../core/models';
import { messageActions } from './actions';
import { catchUpCursor, emptyLog, maxSeq, mergeMessages, messagesFeature, pendingKey } from './messages.reducer';

const reducer = messagesFeature.reducer;
const ME = 'me';
const OTHER = 'other';

function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    messageId: `01J0000000000000000000${String(seq).padStart(4, '0')}`,
    chatRoomId: 7,
    userId: OTHER,
    content: `m${seq}`,
    timestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    status: 'SENT',
    type: 'TEXT',
    edited: false,
    seq,
    clientMessageId: null,
    ...over,
  };
}

function loaded(messages: Message[]) {
  let s = reducer(undefined, messageActions.open({ chatId: 7 }));
  s = reducer(s, messageActions.historyLoaded({ chatId: 7, messages, hasMore: true, mode: 'initial' }));
  return s;
}

const texts = (s: ReturnType<typeof reducer>) => s.byRoom[7].keys.map((k) => s.byRoom[7].byKey[k].content);

describe('messages reducer', () => {
  it('loads the first page and keeps messages ordered by id', () => {
    const s = loaded([msg(3), msg(1), msg(2)]);
    expect(texts(s)).toEqual(['m1', 'm2', 'm3']);
    expect(s.byRoom[7].loaded).toBe(true);
    expect(s.byRoom[7].hasMoreBefore).toBe(true);
  });

  it('deduplicates by messageId (live message also returned by catch-up)', () => {
    let s = loaded([msg(1), msg(2)]);
    s = reducer(s, messageActions.received({ message: msg(3), meId: ME }));
    s = reducer(s, messageActions.historyLoaded({ chatId: 7, messages: [msg(3), msg(4)], hasMore: false, mode: 'after' }));
    s = reducer(s, messageActions.received({ message: msg(4), meId: ME }));
    expect(texts(s)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('moves a status only forward', () => {
    let s = loaded([msg(1)]);
    s = reducer(s, messageActions.received({ message: msg(1, { status: 'READ' }), meId: ME }));
    s = reducer(s, messageActions.received({ message: msg(1, { status: 'DELIVERED' }), meId: ME }));
    expect(s.byRoom[7].byKey[msg(1).messageId].status).toBe('READ');
  });

  it('prepends older pages', () => {
    let s = loaded([msg(51), msg(52)]);
    s = reducer(s, messageActions.loadOlder({ chatId: 7 }));
    expect(s.byRoom[7].loadingOlder).toBe(true);
    s = reducer(s, messageActions.historyLoaded({ chatId: 7, messages: [msg(49), msg(50)], hasMore: false, mode: 'older' }));
    expect(texts(s)).toEqual(['m49', 'm50', 'm51', 'm52']);
    expect(s.byRoom[7].hasMoreBefore).toBe(false);
    expect(s.byRoom[7].loadingOlder).toBe(false);
  });

  describe('optimistic sending', () => {
    const pending: ChatMessage = {
      ...msg(0, { userId: ME, content: 'hello', messageId: '', seq: null, clientMessageId: 'c1' }),
      key: pendingKey('c1'),
      local: 'sending',
    };

    it('shows the pending copy after the server messages', () => {
      let s = loaded([msg(1)]);
      s = reducer(s, messageActions.pendingAdded({ message: pending }));
      expect(texts(s)).toEqual(['m1', 'hello']);
      s = reducer(s, messageActions.received({ message: msg(2), meId: ME }));
      expect(texts(s)).toEqual(['m1', 'm2', 'hello']);
    });

    it('replaces the pending copy with the echo that carries its clientMessageId', () => {
      let s = loaded([msg(1)]);
      s = reducer(s, messageActions.pendingAdded({ message: pending }));
      s = reducer(s, messageActions.received({ message: msg(2, { userId: ME, content: 'hello', clientMessageId: 'c1' }), meId: ME }));
      expect(texts(s)).toEqual(['m1', 'hello']);
      expect(s.byRoom[7].byKey[pendingKey('c1')]).toBeUndefined();
      // The RECEIPT arriving afterwards changes nothing.
      const after = reducer(s, messageActions.acknowledged({ chatId: 7, clientMessageId: 'c1', messageId: msg(2).messageId }));
      expect(after).toBe(s);
    });

    it('turns the pending copy into a sent message on the RECEIPT, then dedupes the echo', () => {
      let s = loaded([msg(1)]);
      s = reducer(s, messageActions.pendingAdded({ message: pending }));
      s = reducer(s, messageActions.acknowledged({ chatId: 7, clientMessageId: 'c1', messageId: msg(2).messageId }));
      const m = s.byRoom[7].byKey[msg(2).messageId];
      expect(m.local).toBeUndefined();
      expect(m.status).toBe('SENT');
      s = reducer(s, messageActions.received({ message: msg(2, { userId: ME, content: 'hello', clientMessageId: 'c1' }), meId: ME }));
      expect(texts(s)).toEqual(['m1', 'hello']);
      expect(s.byRoom[7].byKey[msg(2).messageId].seq).toBe(2);
    });

    it('marks failures and lets the user retry or discard', () => {
      let s = loaded([]);
      s = reducer(s, messageActions.pendingAdded({ message: pending }));
      s = reducer(s, messageActions.sendFailed({ chatId: 7, clientMessageId: 'c1', error: 'Sending too fast' }));
      expect(s.byRoom[7].byKey[pendingKey('c1')].local).toBe('failed');
      s = reducer(s, messageActions.retry({ chatId: 7, clientMessageId: 'c1' }));
      expect(s.byRoom[7].byKey[pendingKey('c1')].local).toBe('sending');
      s = reducer(s, messageActions.discard({ chatId: 7, clientMessageId: 'c1' }));
      expect(s.byRoom[7].keys).toEqual([]);
    });
  });

  describe('gaps', () => {
    it('flags a live message whose seq skips ahead', () => {
      let s = loaded([msg(1), msg(2)]);
      s = reducer(s, messageActions.received({ message: msg(3), meId: ME }));
      expect(s.byRoom[7].gap).toBe(false);
      s = reducer(s, messageActions.received({ message: msg(6), meId: ME }));
      expect(s.byRoom[7].gap).toBe(true);
      expect(maxSeq(s.byRoom[7])).toBe(6);
      // Catch-up starts before the gap and fills it.
      expect(catchUpCursor(s.byRoom[7])).toBe(msg(3).messageId);
      s = reducer(s, messageActions.catchUp({ chatId: 7 }));
      s = reducer(s, messageActions.historyLoaded({ chatId: 7, messages: [msg(4), msg(5), msg(6)], hasMore: false, mode: 'after' }));
      expect(texts(s)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      expect(s.byRoom[7].gap).toBe(false);
      expect(s.byRoom[7].catchingUp).toBe(false);
    });

    it('catches up from the newest message when there is no gap', () => {
      const log = mergeMessages(emptyLog(), [msg(1), msg(2), msg(3)]);
      expect(catchUpCursor(log)).toBe(msg(3).messageId);
      expect(catchUpCursor(emptyLog())).toBeNull();
    });
  });

  it('keeps no log for rooms that were never opened', () => {
    const s = reducer(undefined, messageActions.received({ message: msg(1), meId: ME }));
    expect(s.byRoom[7]).toBeUndefined();
  });
});
