import { createActionGroup, emptyProps, props } from '@ngrx/store';
import { ChatMessage, Member, Message, Presence, Room, RoomType, User, UserSummary } from '../core/models';

export const sessionActions = createActionGroup({
  source: 'Session',
  events: {
    Started: props<{ userId: string | null }>(),
    'Me Loaded': props<{ user: User }>(),
    'Users Seen': props<{ users: UserSummary[] }>(),
    'Logged Out': emptyProps(),
  },
});

export const roomActions = createActionGroup({
  source: 'Rooms',
  events: {
    Load: emptyProps(),
    Loaded: props<{ rooms: Room[] }>(),
    'Load Failed': props<{ error: string }>(),
    Upserted: props<{ room: Room }>(),
    Removed: props<{ chatId: number; reason: 'left' | 'removed' | 'deleted' }>(),
    'Members Loaded': props<{ chatId: number; members: Member[] }>(),
    'Refresh Members': props<{ chatId: number }>(),
    Select: props<{ chatId: number | null }>(),
    'Read Marker Moved': props<{ chatId: number; userId: string; lastReadMessageId: string }>(),
    'Unread Set': props<{ chatId: number; count: number }>(),
    Create: props<{ body: { type: RoomType; name: string; description: string; memberIds: string[] }; open: boolean }>(),
    Created: props<{ room: Room; open: boolean }>(),
    'Create Failed': props<{ error: string }>(),
  },
});

export const messageActions = createActionGroup({
  source: 'Messages',
  events: {
    Open: props<{ chatId: number }>(),
    'History Loaded': props<{ chatId: number; messages: Message[]; hasMore: boolean; mode: 'initial' | 'older' | 'after' }>(),
    'History Failed': props<{ chatId: number; error: string }>(),
    'Load Older': props<{ chatId: number }>(),
    'Catch Up': props<{ chatId: number }>(),
    Received: props<{ message: Message; meId: string | null }>(),
    /** `after`: the clientMessageId of an attachment this text must follow (a caption). */
    'Send Text': props<{ chatId: number; content: string; after?: string }>(),
    'Send File': props<{ chatId: number; file: File; clientMessageId?: string }>(),
    'Pending Added': props<{ message: ChatMessage }>(),
    'Upload Done': props<{ chatId: number; clientMessageId: string; viewUrl: string }>(),
    Acknowledged: props<{ chatId: number; clientMessageId: string; messageId: string }>(),
    'Send Failed': props<{ chatId: number; clientMessageId: string; error: string }>(),
    Retry: props<{ chatId: number; clientMessageId: string }>(),
    Discard: props<{ chatId: number; clientMessageId: string }>(),
    Seen: props<{ chatId: number; messageIds: string[] }>(),
  },
});

export const presenceActions = createActionGroup({
  source: 'Presence',
  events: {
    Loaded: props<{ entries: Presence[] }>(),
    Changed: props<{ userId: string; status: 'ONLINE' | 'OFFLINE'; lastSeen: string | null }>(),
    Typing: props<{ chatId: number; userId: string; typing: boolean; now: number }>(),
    'Typing Expired': props<{ chatId: number; userId: string; now: number }>(),
  },
});
