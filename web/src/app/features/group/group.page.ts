import { Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { firstValueFrom } from 'rxjs';
import { ApiService, UploadService, toApiError } from '../../core/api.service';
import { Member, UserSummary } from '../../core/models';
import { ToastService } from '../../core/toast.service';
import { AvatarComponent } from '../../shared/avatar.component';
import { ConfirmDialogComponent, DialogComponent } from '../../shared/dialog.component';
import { EditableFieldComponent } from '../../shared/editable-field.component';
import { IconComponent } from '../../shared/icon.component';
import { UserSearchComponent } from '../../shared/user-search.component';
import { roomActions } from '../../store/actions';
import { roomsFeature } from '../../store/rooms.reducer';
import { presenceText, selectMeId, selectPresence, toRoomView } from '../../store/selectors';
import { ImageViewerComponent } from '../chat/image-viewer.component';

type Confirm = { kind: 'remove'; member: Member } | { kind: 'leave' } | { kind: 'delete' };

@Component({
  selector: 'app-group-page',
  imports: [RouterLink, AvatarComponent, IconComponent, EditableFieldComponent, ConfirmDialogComponent, DialogComponent, UserSearchComponent, ImageViewerComponent],
  template: `
    <div class="min-h-full bg-slate-100">
      <header class="sticky top-0 z-20 flex items-center gap-2 border-b border-slate-200 bg-white/95 px-2 py-2.5 backdrop-blur sm:px-4">
        <a [routerLink]="['/chats', chatId()]" class="icon-btn" aria-label="Back to the conversation"><app-icon name="back" [size]="22" /></a>
        <h1 class="text-base font-semibold text-slate-900">Group info</h1>
      </header>
      <main class="mx-auto max-w-xl space-y-5 px-4 py-6 sm:py-10">
        @if (room(); as r) {
          <section class="card px-6 pt-6 pb-2" aria-labelledby="group-title">
            <div class="flex flex-col items-center text-center">
              <div class="relative">
                <button type="button" class="rounded-2xl" (click)="r.entry.room.icon ? viewing.set(r.entry.room.icon) : null" [attr.aria-label]="r.entry.room.icon ? 'View group icon' : 'Group icon'">
                  <app-avatar [name]="r.title" [src]="r.entry.room.icon" [seed]="'room' + r.chatId" [size]="96" />
                </button>
                @if (r.iAmAdmin) {
                  <button type="button" class="absolute right-0 bottom-0 flex h-9 w-9 items-center justify-center rounded-full bg-brand-600 text-white shadow ring-2 ring-white hover:bg-brand-700" (click)="iconInput.click()" [disabled]="uploading()" aria-label="Change group icon" title="Change group icon"><app-icon name="camera" [size]="17" /></button>
                }
                <input #iconInput type="file" accept="image/*" class="hidden" (change)="uploadIcon($event)" tabindex="-1" aria-hidden="true" />
              </div>
              <h2 id="group-title" class="mt-3 text-xl font-semibold text-slate-900" data-testid="group-name">{{ r.title }}</h2>
              <p class="text-sm text-slate-500">{{ r.type === 'PUBLIC' ? 'Public group' : 'Private group' }} · {{ members().length }} members</p>
            </div>
            <div class="mt-4 divide-y divide-slate-100 border-t border-slate-100">
              <app-editable-field label="Name" testKey="group-name" [value]="r.entry.room.name" [canEdit]="r.iAmAdmin" [validate]="vName" [onSave]="saveName" />
              <app-editable-field label="Description" testKey="group-description" [value]="r.entry.room.description" placeholder="No description" [multiline]="true" [canEdit]="r.iAmAdmin" [validate]="vDesc" [onSave]="saveDescription" />
            </div>
          </section>

          <section class="card" aria-labelledby="members-title">
            <div class="flex items-center justify-between px-6 pt-5 pb-2">
              <h2 id="members-title" class="text-sm font-semibold text-slate-900">{{ members().length }} members</h2>
              @if (canAdd()) {
                <button type="button" class="btn-outline py-1.5" (click)="adding.set(true)" data-testid="add-member"><app-icon name="plus" [size]="16" /> Add member</button>
              }
            </div>
            <ul class="px-3 pb-3">
              @for (m of members(); track m.userId) {
                @let isMe = m.userId === meId();
                <li class="flex items-center gap-3 rounded-xl px-3 py-2.5 hover:bg-slate-50" data-testid="member" [attr.data-username]="m.user.username">
                  <a [routerLink]="['/user', isMe ? 'me' : m.user.username]" class="flex min-w-0 flex-1 items-center gap-3">
                    <app-avatar [name]="m.user.fullName" [src]="m.user.avatar" [seed]="m.userId" [size]="42" [online]="presence()[m.userId]?.status === 'ONLINE'" />
                    <span class="min-w-0 flex-1">
                      <span class="flex items-center gap-2">
                        <span class="truncate text-sm font-medium text-slate-900">{{ isMe ? 'You' : m.user.fullName }}</span>
                        @if (m.admin) { <span class="inline-flex items-center gap-1 rounded-full bg-emerald-50 px-2 py-0.5 text-[11px] font-medium text-emerald-700 ring-1 ring-emerald-200" data-testid="admin-badge"><app-icon name="shield" [size]="11" /> Group admin</span> }
                      </span>
                      <span class="block truncate text-xs text-slate-500">{{ m.user.bio || (isMe ? '' : presenceLine(m.userId)) || '@' + m.user.username }}</span>
                    </span>
                  </a>
                  @if (r.iAmAdmin && !isMe) {
                    <div class="relative">
                      <button type="button" class="icon-btn" (click)="menuFor.set(menuFor() === m.userId ? null : m.userId)" [attr.aria-label]="'Actions for ' + m.user.fullName" aria-haspopup="menu" [attr.aria-expanded]="menuFor() === m.userId" data-testid="member-menu"><app-icon name="more" /></button>
                      @if (menuFor() === m.userId) {
                        <div class="absolute top-10 right-0 z-30 w-48 rounded-xl bg-white py-1 shadow-lg ring-1 ring-slate-200" role="menu" (keydown.escape)="menuFor.set(null)">
                          <button type="button" role="menuitem" class="flex w-full items-center gap-2 px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-50" (click)="setAdmin(m, !m.admin)" data-testid="toggle-admin"><app-icon name="shield" [size]="16" /> {{ m.admin ? 'Remove as admin' : 'Make admin' }}</button>
                          <button type="button" role="menuitem" class="flex w-full items-center gap-2 px-3 py-2 text-left text-sm text-rose-600 hover:bg-rose-50" (click)="menuFor.set(null); confirm.set({ kind: 'remove', member: m })" data-testid="remove-member"><app-icon name="trash" [size]="16" /> Remove from group</button>
                        </div>
                      }
                    </div>
                  }
                </li>
              }
            </ul>
          </section>

          <section class="card divide-y divide-slate-100">
            <button type="button" class="flex w-full items-center gap-3 px-6 py-4 text-left text-sm font-medium text-rose-600 hover:bg-rose-50" (click)="confirm.set({ kind: 'leave' })" data-testid="leave-group"><app-icon name="leave" /> Leave group</button>
            @if (r.iAmAdmin) {
              <button type="button" class="flex w-full items-center gap-3 px-6 py-4 text-left text-sm font-medium text-rose-600 hover:bg-rose-50" (click)="confirm.set({ kind: 'delete' })" data-testid="delete-group"><app-icon name="trash" /> Delete group</button>
            }
          </section>
        } @else if (notFound()) {
          <div class="card p-10 text-center text-sm text-slate-600">This group isn't available. <a routerLink="/" class="font-medium text-brand-600">Back to conversations</a></div>
        } @else {
          <div class="card h-64 animate-pulse"></div>
        }
      </main>
    </div>
    @if (adding()) {
      <app-dialog heading="Add member" (closed)="adding.set(false)">
        <app-user-search label="Find people to add" [excludeIds]="memberIds()" (selected)="add($event)" />
      </app-dialog>
    }
    @if (confirm(); as c) {
      @switch (c.kind) {
        @case ('remove') {
          <app-confirm-dialog heading="Remove member?" [text]="'Remove ' + $any(c).member.user.fullName + ' from this group?'" confirmText="Remove" [danger]="true" (confirm)="remove($any(c).member)" (cancel)="confirm.set(null)" />
        }
        @case ('leave') {
          <app-confirm-dialog heading="Leave group?" text="You will stop receiving messages from this group." confirmText="Leave" [danger]="true" (confirm)="leave()" (cancel)="confirm.set(null)" />
        }
        @case ('delete') {
          <app-confirm-dialog heading="Delete group?" text="The group and all its messages will be deleted for everyone. This cannot be undone." confirmText="Delete group" [danger]="true" (confirm)="deleteGroup()" (cancel)="confirm.set(null)" />
        }
      }
    }
    @if (viewing(); as src) {
      <app-image-viewer [src]="src" (closed)="viewing.set(null)" />
    }
  `,
  host: { class: 'block min-h-full', '(document:click)': 'onDocClick($event)' },
})
export class GroupPage {
  private readonly api = inject(ApiService);
  private readonly uploads = inject(UploadService);
  private readonly store = inject(Store);
  private readonly router = inject(Router);
  private readonly toast = inject(ToastService);
  readonly id = input.required<string>();
  readonly chatId = computed(() => Number(this.id()));
  readonly meId = this.store.selectSignal(selectMeId);
  readonly presence = this.store.selectSignal(selectPresence);
  private readonly byId = this.store.selectSignal(roomsFeature.selectById);
  private readonly roomsLoaded = this.store.selectSignal(roomsFeature.selectLoaded);
  readonly room = computed(() => {
    const e = this.byId()[this.chatId()];
    return e && e.room.type !== 'DIRECT_MESSAGE' ? toRoomView(e, this.meId()) : null;
  });
  readonly notFound = signal(false);
  readonly members = computed(() =>
    [...(this.room()?.members ?? [])].sort(
      (a, b) => Number(b.admin) - Number(a.admin) || (a.userId === this.meId() ? -1 : b.userId === this.meId() ? 1 : a.user.fullName.localeCompare(b.user.fullName)),
    ),
  );
  readonly memberIds = computed(() => this.members().map((m) => m.userId));
  readonly canAdd = computed(() => {
    const r = this.room();
    return !!r && (r.type === 'PUBLIC' || r.iAmAdmin);
  });
  readonly adding = signal(false);
  readonly uploading = signal(false);
  readonly menuFor = signal<string | null>(null);
  readonly confirm = signal<Confirm | null>(null);
  readonly viewing = signal<string | null>(null);

  readonly vName = (v: string) => (!v.trim() ? 'Name is required' : [...v].length > 100 ? 'At most 100 characters' : null);
  readonly vDesc = (v: string) => ([...v].length > 1000 ? 'At most 1000 characters' : null);
  readonly saveName = (v: string) => this.update({ name: v.trim() });
  readonly saveDescription = (v: string) => this.update({ description: v });

  constructor() {
    // Fresh members (admin flags, bios) once per group opened.
    effect(() => {
      const id = this.chatId();
      if (!Number.isInteger(id) || id <= 0) {
        untracked(() => this.router.navigateByUrl('/'));
        return;
      }
      untracked(() => this.store.dispatch(roomActions.refreshMembers({ chatId: id })));
    });
    // Not in the room list (yet): ask the server once; a non-member gets 404.
    effect(() => {
      const id = this.chatId();
      if (!this.roomsLoaded() || !Number.isInteger(id) || id <= 0) return;
      untracked(() => {
        if (this.byId()[id] || this.fetched === id) return;
        this.fetched = id;
        firstValueFrom(this.api.room(id))
          .then((room) => this.store.dispatch(roomActions.upserted({ room })))
          .catch(() => {
            this.notFound.set(true);
            this.toast.error('Group not found');
            setTimeout(() => this.router.navigateByUrl('/'), 1500);
          });
      });
    });
  }

  private fetched: number | null = null;

  presenceLine(userId: string): string {
    return presenceText(this.presence()[userId]);
  }

  onDocClick(e: MouseEvent): void {
    if (this.menuFor() && !(e.target as HTMLElement).closest('[aria-haspopup="menu"],[role="menu"]')) this.menuFor.set(null);
  }

  private async run(p: Promise<unknown>, ok?: string): Promise<string | null> {
    try {
      await p;
      if (ok) this.toast.success(ok);
      this.store.dispatch(roomActions.refreshMembers({ chatId: this.chatId() }));
      return null;
    } catch (e) {
      const err = toApiError(e);
      this.toast.error(err.message);
      return Object.values(err.errors ?? {})[0] ?? err.message;
    }
  }

  private async update(patch: { name?: string; description?: string; icon?: string }): Promise<string | null> {
    try {
      const room = await firstValueFrom(this.api.updateRoom(this.chatId(), patch));
      this.store.dispatch(roomActions.upserted({ room }));
      return null;
    } catch (e) {
      const err = toApiError(e);
      return Object.values(err.errors ?? {})[0] ?? err.message;
    }
  }

  uploadIcon(e: Event): Promise<void> {
    return this.uploads.uploadPickedImage(e, (url) => this.update({ icon: url }), this.uploading, this.toast);
  }

  async add(u: UserSummary): Promise<void> {
    this.adding.set(false);
    await this.run(firstValueFrom(this.api.addMember(this.chatId(), u.userId)), `${u.fullName} was added`);
  }

  async setAdmin(m: Member, admin: boolean): Promise<void> {
    this.menuFor.set(null);
    await this.run(firstValueFrom(this.api.setAdmin(this.chatId(), m.userId, admin)), admin ? `${m.user.fullName} is now an admin` : `${m.user.fullName} is no longer an admin`);
  }

  async remove(m: Member): Promise<void> {
    this.confirm.set(null);
    await this.run(firstValueFrom(this.api.removeMember(this.chatId(), m.userId)), `${m.user.fullName} was removed`);
  }

  async leave(): Promise<void> {
    this.confirm.set(null);
    const me = this.meId();
    if (!me) return;
    const err = await this.run(firstValueFrom(this.api.removeMember(this.chatId(), me)));
    if (!err) {
      this.store.dispatch(roomActions.removed({ chatId: this.chatId(), reason: 'left' }));
      this.router.navigateByUrl('/');
    }
  }

  async deleteGroup(): Promise<void> {
    this.confirm.set(null);
    try {
      await firstValueFrom(this.api.deleteRoom(this.chatId()));
      this.store.dispatch(roomActions.removed({ chatId: this.chatId(), reason: 'left' }));
      this.toast.success('Group deleted');
      this.router.navigateByUrl('/');
    } catch (e) {
      this.toast.error(toApiError(e).message);
    }
  }
}
