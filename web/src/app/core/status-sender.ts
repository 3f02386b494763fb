// Sends DELIVERED/READ status updates and read markers over STOMP, each at most once, paced below
// the server's per-session rate limit (20 SENDs/s) so they never crowd out chat messages.
import { Injectable, inject } from '@angular/core';
import { ConnectionService } from './connection.service';
import { MessageStatus } from './models';

interface Job {
  key: string;
  destination: string;
  body: unknown;
}

const PER_SECOND = 8;

@Injectable({ providedIn: 'root' })
export class StatusSender {
  private readonly conn = inject(ConnectionService);
  private readonly done = new Set<string>();
  private queue: Job[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private windowStart = 0;
  private sentInWindow = 0;
  /** Latest read marker wanted per room, sent when possible. */
  private readonly markers = new Map<number, string>();

  constructor() {
    this.conn.connected$.subscribe(() => this.pump());
  }

  status(chatRoomId: number, messageId: string, status: MessageStatus): void {
    const key = `${status}:${messageId}`;
    if (this.done.has(key) || this.queue.some((j) => j.key === key)) return;
    this.queue.push({ key, destination: '/app/chat.sendMessage', body: { messageId, chatRoomId, status } });
    this.pump();
  }

  readMarker(chatRoomId: number, messageId: string): void {
    const cur = this.markers.get(chatRoomId);
    if (cur && cur >= messageId) return;
    this.markers.set(chatRoomId, messageId);
    const key = `marker:${chatRoomId}`;
    this.queue = this.queue.filter((j) => j.key !== key);
    this.queue.unshift({ key, destination: '/app/chat.read', body: { chatRoomId, messageId } });
    this.pump();
  }

  reset(): void {
    this.done.clear();
    this.queue = [];
    this.markers.clear();
  }

  private pump(): void {
    if (this.timer) return;
    while (this.queue.length && this.conn.isConnected) {
      const now = Date.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.sentInWindow = 0;
      }
      if (this.sentInWindow >= PER_SECOND) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, 1000 - (now - this.windowStart) + 5);
        return;
      }
      const job = this.queue.shift()!;
      if (this.conn.publish(job.destination, job.body)) {
        this.sentInWindow++;
        if (!job.key.startsWith('marker:')) this.done.add(job.key);
      } else {
        this.queue.unshift(job);
        return;
      }
    }
  }
}
