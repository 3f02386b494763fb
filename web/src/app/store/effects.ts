import { Injectable, inject } from '@angular/core';
import { Router } from '@angular/router';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { EMPTY, auditTime, catchError, concatMap, distinctUntilChanged, expand, filter, firstValueFrom, from, groupBy, map, mergeMap, of, switchMap, tap, withLatestFrom } from 'rxjs';
import { ApiService, UploadService, toApiError } from '../core/api.service';
import { ConnectionService, SendError } from '../core/connection.service';
import { ChatMessage, Message, Room, ReceiptEvent, TypingEvent, UserEvent } from '../core/models';
import { StatusSender } from '../core/status-sender';
import { ToastService } from '../core/toast.service';
import { messageActions, presenceActions, roomActions, sessionActions } from './actions';
import { RoomLog, catchUpCursor, emptyLog, pendingKey } from './messages.reducer';
import { messagesFeature } from './messages.reducer';
import { TYPING_TTL_MS } from './presence.reducer';
import { roomsFeature } from './rooms.reducer';
import { selectMeId, selectRoomIds } from './selectors';

const roomTopic = (id: number) => `/topic/rooms/${id}`;

/** Fetches every page of the caller's rooms. */
async function fetchAllRooms(api: ApiService): Promise<Room[]> {
  const out: Room[] = [];
  for (let page = 0; page < 50; page++) {
    const p = await firstValueFrom(api.myRooms(page, 100));
    out.push(...p.content);
    if (p.last || p.content.length === 0) break;
  }
  return out;
}

function newClientId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

@Injectable()
export class SessionEffects {
  private readonly actions$ = inject(Actions);
  private readonly api = inject(ApiService);
  private readonly conn = inject(ConnectionService);
  private readonly store = inject(Store);

  started$ = createEffect(() =>
    this.actions$.pipe(
      ofType(sessionActions.started),
      tap(() => {
        this.conn.beforeSubscribe = async () => {
          const rooms = await fetchAllRooms(this.api);
          this.store.dispatch(roomActions.loaded({ rooms }));
        };
        this.conn.start();
      }),
      switchMap(() =>
        this.api.me().pipe(
          map((user) => sessionActions.meLoaded({ user })),
          catchError(() => EMPTY),
        ),
      ),
    ),
  );

  loadRoomsOnStart$ = createEffect(() =>
    this.actions$.pipe(
      ofType(sessionActions.started),
      map(() => roomActions.load()),
    ),
  );
}

@Injectable()
export class RoomsEffects {
  private readonly actions$ = inject(Actions);
  private readonly api = inject(ApiService);
  private readonly conn = inject(ConnectionService);
  private readonly store = inject(Store);
  private readonly router = inject(Router);
  private readonly toast = inject(ToastService);
  /** chatId → the functions that stop listening to its three destinations. */
  private readonly roomSubs = new Map<number, Array<() => void>>();
  private eventsOff: (() => void) | null = null;

  load$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.load),
      switchMap(() =>
        from(fetchAllRooms(this.api)).pipe(
          map((rooms) => roomActions.loaded({ rooms })),
          catchError((e) => of(roomActions.loadFailed({ error: toApiError(e).message }))),
        ),
      ),
    ),
  );

  /** Presence of everyone the user shares a room with, after each full room list. */
  presence$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.loaded),
      withLatestFrom(this.store.select(selectMeId)),
      switchMap(([{ rooms }, meId]) => {
        const ids = [...new Set(rooms.flatMap((r) => (r.members ?? []).map((m) => m.userId)))].filter((id) => id !== meId);
        return this.fetchPresence(ids);
      }),
    ),
  );

  /** Exactly one listener set (so one STOMP subscription each) per room the user is in. */
  syncSubscriptions$ = createEffect(
    () =>
      this.store.select(selectRoomIds).pipe(
        distinctUntilChanged((a, b) => a.join(',') === b.join(',')),
        tap((ids) => {
          const want = new Set(ids);
          for (const [id, offs] of this.roomSubs) {
            if (!want.has(id)) {
              offs.forEach((off) => off());
              this.roomSubs.delete(id);
            }
          }
          for (const id of ids) {
            if (this.roomSubs.has(id)) continue;
            this.roomSubs.set(id, [
              this.conn.listen<Message>(roomTopic(id), (m) => this.onRoomMessage(m)),
              this.conn.listen<TypingEvent>(`${roomTopic(id)}/typing`, (t) => this.onTyping(t)),
              this.conn.listen<ReceiptEvent>(`${roomTopic(id)}/receipts`, (r) =>
                this.store.dispatch(roomActions.readMarkerMoved({ chatId: r.chatId, userId: r.userId, lastReadMessageId: r.lastReadMessageId })),
              ),
            ]);
          }
        }),
      ),
    { dispatch: false },
  );

  userEvents$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(sessionActions.started),
        tap(() => {
          this.eventsOff?.();
          this.eventsOff = this.conn.listen<UserEvent>('/user/queue/events', (e) => this.onUserEvent(e));
        }),
      ),
    { dispatch: false },
  );

  loggedOut$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(sessionActions.loggedOut),
        tap(() => {
          this.eventsOff?.();
          this.eventsOff = null;
          for (const offs of this.roomSubs.values()) offs.forEach((off) => off());
          this.roomSubs.clear();
        }),
      ),
    { dispatch: false },
  );

  refreshMembers$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.refreshMembers),
      groupBy((a) => a.chatId),
      mergeMap((g) =>
        g.pipe(
          auditTime(100),
          switchMap(({ chatId }) =>
            this.api.members(chatId).pipe(
              map((members) => roomActions.membersLoaded({ chatId, members })),
              catchError(() => EMPTY),
            ),
          ),
        ),
      ),
    ),
  );

  create$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.create),
      concatMap(({ body, open }) =>
        this.api.createRoom(body).pipe(
          map((room) => roomActions.created({ room, open })),
          catchError((e) => of(roomActions.createFailed({ error: toApiError(e).message }))),
        ),
      ),
    ),
  );

  openCreated$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(roomActions.created),
        filter((a) => a.open),
        tap(({ room }) => this.router.navigate(['/chats', room.chatId])),
      ),
    { dispatch: false },
  );

  presenceForCreated$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.created, roomActions.upserted, roomActions.membersLoaded),
      map((a) => ('members' in a ? a.members : a.room.members) ?? []),
      withLatestFrom(this.store.select(selectMeId)),
      mergeMap(([members, meId]) => this.fetchPresence(members.map((m) => m.userId).filter((id) => id !== meId))),
    ),
  );

  removed$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(roomActions.removed),
        tap(({ chatId, reason }) => {
          const url = this.router.url;
          if (url.startsWith(`/chats/${chatId}`) || url.startsWith(`/group/${chatId}`)) {
            if (reason !== 'left') this.toast.show(reason === 'deleted' ? 'This group was deleted' : 'You were removed from this group');
            this.router.navigateByUrl('/');
          }
        }),
      ),
    { dispatch: false },
  );

  private fetchPresence(ids: string[]) {
    const unique = [...new Set(ids)];
    if (!unique.length) return EMPTY;
    return this.api.presence(unique.slice(0, 500)).pipe(
      map((r) => presenceActions.loaded({ entries: Object.values(r) })),
      catchError(() => EMPTY),
    );
  }

  private meId(): string | null {
    let id: string | null = null;
    this.store.select(selectMeId).subscribe((v) => (id = v)).unsubscribe();
    return id;
  }

  private onRoomMessage(m: Message): void {
    this.store.dispatch(messageActions.received({ message: m, meId: this.meId() }));
  }

  private onTyping(t: TypingEvent): void {
    if (t.userId === this.meId()) return;
    const now = Date.now();
    this.store.dispatch(presenceActions.typing({ chatId: t.chatId, userId: t.userId, typing: t.typing, now }));
    if (t.typing) {
      setTimeout(
        () => this.store.dispatch(presenceActions.typingExpired({ chatId: t.chatId, userId: t.userId, now: Date.now() })),
        TYPING_TTL_MS + 50,
      );
    }
  }

  private onUserEvent(e: UserEvent): void {
    switch (e.type) {
      case 'ROOM_ADDED':
        if (e.room) {
          this.store.dispatch(roomActions.upserted({ room: e.room }));
          if (!e.room.members) this.store.dispatch(roomActions.refreshMembers({ chatId: e.room.chatId }));
        }
        break;
      case 'ROOM_UPDATED':
        if (e.room) this.store.dispatch(roomActions.upserted({ room: e.room }));
        if (e.chatId) this.store.dispatch(roomActions.refreshMembers({ chatId: e.chatId }));
        break;
      case 'ROOM_REMOVED':
        if (e.chatId) this.store.dispatch(roomActions.removed({ chatId: e.chatId, reason: e.userId === this.meId() ? 'left' : 'removed' }));
        break;
      case 'ROOM_DELETED':
        if (e.chatId) this.store.dispatch(roomActions.removed({ chatId: e.chatId, reason: e.userId === this.meId() ? 'left' : 'deleted' }));
        break;
      case 'MEMBER_ADDED':
      case 'MEMBER_REMOVED':
        if (e.chatId) this.store.dispatch(roomActions.refreshMembers({ chatId: e.chatId }));
        break;
      case 'PRESENCE':
        if (e.userId && e.status) this.store.dispatch(presenceActions.changed({ userId: e.userId, status: e.status, lastSeen: e.lastSeen }));
        break;
    }
  }
}

@Injectable()
export class MessagesEffects {
  private readonly actions$ = inject(Actions);
  private readonly api = inject(ApiService);
  private readonly uploads = inject(UploadService);
  private readonly conn = inject(ConnectionService);
  private readonly store = inject(Store);
  private readonly status = inject(StatusSender);
  private readonly toast = inject(ToastService);
  private readonly files = new Map<string, File>();
  /** Captions waiting for their attachment: attachment clientMessageId → texts. */
  private readonly held = new Map<string, ChatMessage[]>();
  private readonly heldIds = new Set<string>();
  private readonly inflight = new Set<string>();
  private readonly initialInflight = new Set<number>();

  private snapshot<T>(sel: (s: object) => T): T {
    let v!: T;
    this.store.select(sel).subscribe((x) => (v = x)).unsubscribe();
    return v;
  }
  private log(chatId: number): RoomLog {
    return this.snapshot((s) => messagesFeature.selectByRoom(s as never)[chatId] ?? emptyLog());
  }
  private myMarker(chatId: number): string | null {
    const meId = this.snapshot(selectMeId);
    const e = this.snapshot((s) => roomsFeature.selectById(s as never)[chatId]);
    return e?.members?.find((m) => m.userId === meId)?.lastReadMessageId ?? null;
  }

  open$ = createEffect(() =>
    this.actions$.pipe(
      ofType(messageActions.open),
      filter(({ chatId }) => !this.log(chatId).loaded && !this.initialInflight.has(chatId)),
      mergeMap(({ chatId }) => {
        this.initialInflight.add(chatId);
        return this.api.latestMessages(chatId, 50).pipe(
          map((p) => messageActions.historyLoaded({ chatId, messages: p.content, hasMore: p.hasMore, mode: 'initial' })),
          catchError((e) => of(messageActions.historyFailed({ chatId, error: toApiError(e).message }))),
          tap(() => this.initialInflight.delete(chatId)),
        );
      }),
    ),
  );

  loadOlder$ = createEffect(() =>
    this.actions$.pipe(
      ofType(messageActions.loadOlder),
      groupBy((a) => a.chatId),
      mergeMap((g) =>
        g.pipe(
          concatMap(({ chatId }) => {
            const log = this.log(chatId);
            const oldest = log.keys.find((k) => !log.byKey[k]?.local);
            if (!oldest || !log.hasMoreBefore) return of(messageActions.historyLoaded({ chatId, messages: [], hasMore: false, mode: 'older' }));
            return this.api.messagesBefore(chatId, oldest, 50).pipe(
              map((p) => messageActions.historyLoaded({ chatId, messages: p.content, hasMore: p.hasMore, mode: 'older' })),
              catchError((e) => of(messageActions.historyFailed({ chatId, error: toApiError(e).message }))),
            );
          }),
        ),
      ),
    ),
  );

  /** Fetches everything after the last contiguous message, page by page. */
  catchUp$ = createEffect(() =>
    this.actions$.pipe(
      ofType(messageActions.catchUp),
      groupBy((a) => a.chatId),
      mergeMap((g) =>
        g.pipe(
          concatMap(({ chatId }) => {
            const cursor = catchUpCursor(this.log(chatId));
            if (!cursor) {
              // Nothing loaded yet (an empty room): the newest page is the catch-up.
              return this.api.latestMessages(chatId, 100).pipe(
                map((p) => messageActions.historyLoaded({ chatId, messages: p.content, hasMore: false, mode: 'after' })),
                catchError((e) => of(messageActions.historyFailed({ chatId, error: toApiError(e).message }))),
              );
            }
            return this.api.messagesAfter(chatId, cursor, 200).pipe(
              expand((p) =>
                p.hasMore && p.content.length ? this.api.messagesAfter(chatId, p.content[p.content.length - 1].messageId, 200) : EMPTY,
              ),
              map((p) => messageActions.historyLoaded({ chatId, messages: p.content, hasMore: p.hasMore, mode: 'after' })),
              catchError((e) => of(messageActions.historyFailed({ chatId, error: toApiError(e).message }))),
            );
          }),
        ),
      ),
    ),
  );

  /** A seq gap in live messages: fetch what is missing. */
  gap$ = createEffect(() =>
    this.actions$.pipe(
      ofType(messageActions.received),
      map(({ message }) => message.chatRoomId),
      filter((chatId) => {
        const log = this.log(chatId);
        return log.gap && !log.catchingUp && log.loaded;
      }),
      map((chatId) => messageActions.catchUp({ chatId })),
    ),
  );

  /** After every reconnect: catch up each loaded room; resend what is still pending. */
  reconnected$ = createEffect(() =>
    this.conn.connected$.pipe(
      mergeMap(({ reconnect }) => {
        const byRoom = this.snapshot((s) => messagesFeature.selectByRoom(s as never));
        const out: ReturnType<typeof messageActions.catchUp>[] = [];
        for (const [id, log] of Object.entries(byRoom)) {
          if (reconnect && log.loaded) out.push(messageActions.catchUp({ chatId: Number(id) }));
          for (const k of log.keys) {
            const m = log.byKey[k];
            if (m?.local === 'sending' && !this.heldIds.has(m.clientMessageId ?? '')) this.transmit(m);
            if (m?.local === 'uploading' && !this.inflight.has(m.clientMessageId ?? '')) this.upload(m);
          }
        }
        return from(out);
      }),
    ),
  );

  /** DELIVERED once per message from someone else that reaches this client. */
  delivered$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(messageActions.received, messageActions.historyLoaded, roomActions.loaded),
        tap((a) => {
          const meId = this.snapshot(selectMeId);
          if (!meId) return;
          if ('rooms' in a) {
            // Rooms not opened yet: their newest message has reached this client too.
            for (const r of a.rooms) {
              const m = r.latestMessage;
              if (m && m.userId !== meId && m.status === 'SENT') this.status.status(m.chatRoomId, m.messageId, 'DELIVERED');
            }
            return;
          }
          const msgs = 'message' in a ? [a.message] : a.mode === 'older' ? [] : a.messages;
          if (!msgs.length) return;
          const marker = this.myMarker(msgs[0].chatRoomId);
          for (const m of msgs) {
            if (m.userId === meId || m.status !== 'SENT') continue;
            if (!('message' in a) && marker && m.messageId <= marker) continue;
            this.status.status(m.chatRoomId, m.messageId, 'DELIVERED');
          }
        }),
      ),
    { dispatch: false },
  );

  /** Messages actually seen on screen: move the read marker (and, in DMs, their status). */
  seen$ = createEffect(() =>
    this.actions$.pipe(
      ofType(messageActions.seen),
      mergeMap(({ chatId, messageIds }) => {
        const meId = this.snapshot(selectMeId);
        if (!meId || !messageIds.length) return EMPTY;
        const newest = messageIds.reduce((a, b) => (a > b ? a : b));
        const marker = this.myMarker(chatId);
        if (marker && newest <= marker) return EMPTY;
        const e = this.snapshot((s) => roomsFeature.selectById(s as never)[chatId]);
        const log = this.log(chatId);
        if (e?.room.type === 'DIRECT_MESSAGE') {
          for (const id of messageIds) {
            const m = log.byKey[id];
            if (m && m.userId !== meId && m.status !== 'READ' && (!marker || id > marker)) this.status.status(chatId, id, 'READ');
          }
        }
        this.status.readMarker(chatId, newest);
        return of(roomActions.readMarkerMoved({ chatId, userId: meId, lastReadMessageId: newest }));
      }),
    ),
  );

  /** Unread count after my read marker moved: messages from others after it. */
  unread$ = createEffect(() =>
    this.actions$.pipe(
      ofType(roomActions.readMarkerMoved),
      filter(({ userId }) => userId === this.snapshot(selectMeId)),
      map(({ chatId, lastReadMessageId }) => {
        const meId = this.snapshot(selectMeId);
        const e = this.snapshot((s) => roomsFeature.selectById(s as never)[chatId]);
        const log = this.log(chatId);
        let count = 0;
        if (log.loaded) {
          for (const k of log.keys) {
            const m = log.byKey[k];
            if (m && !m.local && m.userId !== meId && m.messageId > lastReadMessageId) count++;
          }
        } else if (e?.latestMessage && e.latestMessage.messageId > lastReadMessageId) {
          count = e.unreadCount;
        }
        return roomActions.unreadSet({ chatId, count });
      }),
    ),
  );

  sendText$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(messageActions.sendText),
        tap(({ chatId, content, after }) => {
          const m = this.pending(chatId, content, 'TEXT');
          this.store.dispatch(messageActions.pendingAdded({ message: m }));
          if (after && this.log(chatId).byKey[pendingKey(after)]) {
            // A caption goes out after its attachment, so the room's order matches the screen.
            this.held.set(after, [...(this.held.get(after) ?? []), m]);
            this.heldIds.add(m.clientMessageId!);
          } else {
            this.transmit(m);
          }
        }),
      ),
    { dispatch: false },
  );

  sendFile$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(messageActions.sendFile),
        tap(({ chatId, file, clientMessageId }) => {
          const type = file.type.startsWith('image/') ? 'IMAGE' : 'FILE';
          const m: ChatMessage = {
            ...this.pending(chatId, file.name, type, clientMessageId),
            local: 'uploading',
            preview: type === 'IMAGE' ? URL.createObjectURL(file) : undefined,
          };
          this.files.set(m.clientMessageId!, file);
          this.store.dispatch(messageActions.pendingAdded({ message: m }));
          this.upload(m);
        }),
      ),
    { dispatch: false },
  );

  retry$ = createEffect(
    () =>
      this.actions$.pipe(
        ofType(messageActions.retry),
        tap(({ chatId, clientMessageId }) => {
          const m = this.log(chatId).byKey[pendingKey(clientMessageId)];
          if (!m) return;
          if (m.local === 'uploading') this.upload(m);
          else this.transmit(m);
        }),
      ),
    { dispatch: false },
  );

  queueErrors$ = createEffect(
    () =>
      this.conn.errors$.pipe(
        filter((e) => !e.receiptId),
        tap((e) => {
          if (e.code === 'RATE_LIMITED') this.toast.error('You are sending too fast; slow down a little.');
        }),
      ),
    { dispatch: false },
  );

  private pending(chatId: number, content: string, type: ChatMessage['type'], id?: string): ChatMessage {
    const clientMessageId = id ?? newClientId();
    return {
      key: pendingKey(clientMessageId),
      messageId: '',
      chatRoomId: chatId,
      userId: this.snapshot(selectMeId) ?? '',
      content,
      timestamp: new Date().toISOString(),
      status: 'SENT',
      type,
      edited: false,
      seq: null,
      clientMessageId,
      local: 'sending',
    };
  }

  private upload(m: ChatMessage): void {
    const cmid = m.clientMessageId!;
    const file = this.files.get(cmid);
    if (!file) {
      this.store.dispatch(messageActions.sendFailed({ chatId: m.chatRoomId, clientMessageId: cmid, error: 'The file is no longer available' }));
      return;
    }
    this.inflight.add(cmid);
    this.uploads
      .upload(file)
      .then((viewUrl) => {
        this.inflight.delete(cmid);
        this.store.dispatch(messageActions.uploadDone({ chatId: m.chatRoomId, clientMessageId: cmid, viewUrl }));
        const cur = this.log(m.chatRoomId).byKey[pendingKey(cmid)];
        if (cur) this.transmit(cur);
      })
      .catch((e) => {
        this.inflight.delete(cmid);
        this.release(cmid);
        const err = toApiError(e);
        this.store.dispatch(
          messageActions.sendFailed({
            chatId: m.chatRoomId,
            clientMessageId: cmid,
            error: err.status === 501 ? 'Uploads are not available on this server' : `Upload failed: ${err.message}`,
          }),
        );
      });
  }

  /** Sends (or resends: the server dedupes by clientMessageId) and tracks the RECEIPT. */
  private transmit(m: ChatMessage): void {
    const cmid = m.clientMessageId!;
    if (this.inflight.has(cmid)) return;
    if (!this.conn.isConnected) return; // stays "sending"; resent after the reconnect
    this.inflight.add(cmid);
    this.conn
      .send('/app/chat.sendMessage', { chatRoomId: m.chatRoomId, content: m.content, type: m.type, clientMessageId: cmid })
      .then((messageId) => {
        this.inflight.delete(cmid);
        if (messageId) this.store.dispatch(messageActions.acknowledged({ chatId: m.chatRoomId, clientMessageId: cmid, messageId }));
        this.files.delete(cmid);
        this.release(cmid);
      })
      .catch((e: unknown) => {
        this.inflight.delete(cmid);
        if (e instanceof SendError && e.reason === 'disconnected') return; // resent after the reconnect
        const error = e instanceof SendError ? (e.code === 'RATE_LIMITED' ? 'Sending too fast' : e.message) : String(e);
        this.store.dispatch(messageActions.sendFailed({ chatId: m.chatRoomId, clientMessageId: cmid, error }));
        this.release(cmid);
      });
  }

  /** Sends the captions that waited for an attachment. */
  private release(cmid: string): void {
    const waiting = this.held.get(cmid);
    if (!waiting) return;
    this.held.delete(cmid);
    for (const w of waiting) {
      this.heldIds.delete(w.clientMessageId!);
      const cur = this.log(w.chatRoomId).byKey[pendingKey(w.clientMessageId!)];
      if (cur) this.transmit(cur);
    }
  }
}

