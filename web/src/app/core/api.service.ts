// REST calls of the Parley API. The auth interceptor adds the token.
import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, firstValueFrom, map } from 'rxjs';
import { API_BASE } from './config';
import { ApiError, CursorPage, Member, Message, MessageType, Page, Presence, Room, RoomType, User, UserSummary } from './models';

export function toApiError(e: unknown): ApiError {
  if (e instanceof HttpErrorResponse) {
    if (e.status === 0) return { status: 0, message: "Can't reach the server. Check your connection and try again." };
    const body = e.error as Partial<ApiError> | null;
    return {
      status: e.status,
      message: (body && typeof body === 'object' && body.message) || e.statusText || `Request failed (${e.status})`,
      errors: body && typeof body === 'object' ? body.errors : undefined,
    };
  }
  return { status: -1, message: e instanceof Error ? e.message : String(e) };
}

@Injectable({ providedIn: 'root' })
export class ApiService {
  private readonly http = inject(HttpClient);
  private readonly base = inject(API_BASE);

  me(): Observable<User> {
    return this.http.get<User>(`${this.base}/users/me`);
  }
  updateMe(patch: Partial<Pick<User, 'email' | 'fullName' | 'avatar' | 'bio'>>): Observable<User> {
    return this.http.patch<User>(`${this.base}/users/me`, patch);
  }
  lookup(username: string): Observable<User> {
    return this.http.get<User>(`${this.base}/users/lookup`, { params: { username } });
  }
  search(q: string, size = 20): Observable<Page<UserSummary>> {
    return this.http.get<Page<UserSummary>>(`${this.base}/users/search`, { params: { q, page: 0, size } });
  }

  myRooms(page: number, size = 100): Observable<Page<Room>> {
    return this.http.get<Page<Room>>(`${this.base}/chat/rooms/my`, { params: { page, size } });
  }
  room(id: number): Observable<Room> {
    return this.http.get<Room>(`${this.base}/chat/rooms/${id}`);
  }
  createRoom(body: { type: RoomType; name: string; description: string; memberIds: string[]; icon?: string | null }): Observable<Room> {
    return this.http.post<Room>(`${this.base}/chat/rooms`, body);
  }
  updateRoom(id: number, patch: Partial<Pick<Room, 'name' | 'description' | 'icon'>>): Observable<Room> {
    return this.http.put<Room>(`${this.base}/chat/rooms/${id}`, patch);
  }
  deleteRoom(id: number): Observable<unknown> {
    return this.http.delete(`${this.base}/chat/rooms/${id}`);
  }
  members(id: number): Observable<Member[]> {
    return this.http.get<Member[]>(`${this.base}/chat/rooms/${id}/members`);
  }
  addMember(id: number, userId: string): Observable<unknown> {
    return this.http.post(`${this.base}/chat/rooms/${id}/members`, { userId });
  }
  removeMember(id: number, userId: string): Observable<unknown> {
    return this.http.delete(`${this.base}/chat/rooms/${id}/members/${encodeURIComponent(userId)}`);
  }
  setAdmin(id: number, userId: string, admin: boolean): Observable<unknown> {
    return this.http.put(`${this.base}/chat/rooms/${id}/members/${encodeURIComponent(userId)}/admin`, { admin });
  }
  /** The newest messages (page 0, newest first from the server), returned oldest first. */
  latestMessages(id: number, size = 50): Observable<CursorPage<Message>> {
    return this.http
      .get<Page<Message>>(`${this.base}/chat/rooms/${id}/messages`, { params: { page: 0, size } })
      .pipe(map((p) => ({ content: [...p.content].reverse(), hasMore: !p.last })));
  }
  messagesBefore(id: number, before: string, limit = 50): Observable<CursorPage<Message>> {
    return this.http.get<CursorPage<Message>>(`${this.base}/chat/rooms/${id}/messages`, { params: { before, limit } });
  }
  messagesAfter(id: number, after: string, limit = 200): Observable<CursorPage<Message>> {
    return this.http.get<CursorPage<Message>>(`${this.base}/chat/rooms/${id}/messages`, { params: { after, limit } });
  }
  postMessage(id: number, content: string, type: MessageType = 'TEXT', clientMessageId?: string): Observable<Message> {
    return this.http.post<Message>(`${this.base}/chat/rooms/${id}/messages`, { content, type, clientMessageId });
  }
  markRead(id: number, messageId: string): Observable<unknown> {
    return this.http.post(`${this.base}/chat/rooms/${id}/read`, { messageId });
  }
  presence(userIds: string[]): Observable<Record<string, Presence>> {
    return this.http.post<Record<string, Presence>>(`${this.base}/chat/user-status/batch`, userIds);
  }
  presignedUrl(filename: string, contentType: string, size: number): Observable<{ uploadUrl: string; viewUrl: string; filename: string }> {
    return this.http.post<{ uploadUrl: string; viewUrl: string; filename: string }>(`${this.base}/storage/presigned-url`, {
      filename,
      contentType,
      size,
    });
  }
}

/** Uploads a file the way API.md describes: presign, then PUT the bytes with no credentials. */
@Injectable({ providedIn: 'root' })
export class UploadService {
  private readonly api = inject(ApiService);

  async upload(file: File): Promise<string> {
    const contentType = file.type || 'application/octet-stream';
    const { uploadUrl, viewUrl } = await firstValueFrom(this.api.presignedUrl(file.name || 'file', contentType, file.size));
    const r = await fetch(uploadUrl, { method: 'PUT', headers: { 'Content-Type': contentType }, body: file });
    if (!r.ok) throw new Error(`Upload failed (HTTP ${r.status})`);
    return viewUrl;
  }

  /**
   * The file picked in an `<input type=file>` (an image only), uploaded, then handed to `apply`
   * (which returns an error text or null). Problems go to `toast`; `busy` is true meanwhile.
   */
  async uploadPickedImage(
    e: Event,
    apply: (viewUrl: string) => Promise<string | null>,
    busy: { set(v: boolean): void },
    toast: { error(text: string): void },
  ): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      toast.error('Please choose an image');
      return;
    }
    busy.set(true);
    try {
      const err = await apply(await this.upload(file));
      if (err) toast.error(err);
    } catch (e2) {
      const err = toApiError(e2);
      toast.error(`Upload failed: ${err.message}`);
    } finally {
      busy.set(false);
    }
  }
}
