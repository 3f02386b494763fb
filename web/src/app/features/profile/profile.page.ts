import { Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { firstValueFrom } from 'rxjs';
import { ApiService, UploadService, toApiError } from '../../core/api.service';
import { User } from '../../core/models';
import { SessionService } from '../../core/session.service';
import { ToastService } from '../../core/toast.service';
import { bioError, emailError, fullNameError } from '../../core/validation';
import { AvatarComponent } from '../../shared/avatar.component';
import { ConfirmDialogComponent } from '../../shared/dialog.component';
import { EditableFieldComponent } from '../../shared/editable-field.component';
import { IconComponent } from '../../shared/icon.component';
import { presenceActions, roomActions, sessionActions } from '../../store/actions';
import { presenceText, selectMe, selectPresence } from '../../store/selectors';
import { ImageViewerComponent } from '../chat/image-viewer.component';

@Component({
  selector: 'app-profile-page',
  imports: [RouterLink, AvatarComponent, IconComponent, EditableFieldComponent, ConfirmDialogComponent, ImageViewerComponent],
  template: `
    <div class="min-h-full bg-slate-100">
      <header class="sticky top-0 z-20 flex items-center gap-2 border-b border-slate-200 bg-white/95 px-2 py-2.5 backdrop-blur sm:px-4">
        <a routerLink="/" class="icon-btn" aria-label="Back to conversations"><app-icon name="back" [size]="22" /></a>
        <h1 class="text-base font-semibold text-slate-900">{{ own() ? 'Your profile' : 'Profile' }}</h1>
      </header>
      <main class="mx-auto max-w-xl px-4 py-6 sm:py-10">
        @if (user(); as u) {
          <section class="card overflow-hidden" aria-labelledby="profile-name">
            <div class="h-24 bg-gradient-to-r from-brand-500 via-indigo-400 to-sky-400"></div>
            <div class="-mt-12 flex flex-col items-center px-6 pb-6 text-center">
              <input #fileInput type="file" accept="image/*" class="hidden" (change)="uploadAvatar($event)" data-testid="avatar-input" tabindex="-1" aria-hidden="true" />
              <div class="relative">
                <button type="button" class="rounded-full ring-4 ring-white" (click)="u.avatar ? viewing.set(u.avatar) : own() && fileInput.click()" [attr.aria-label]="u.avatar ? 'View photo' : own() ? 'Upload a photo' : 'Avatar'">
                  <app-avatar [name]="u.fullName" [src]="u.avatar" [seed]="u.userId" [size]="96" />
                </button>
                @if (own()) {
                  <button type="button" class="absolute right-0 bottom-0 flex h-9 w-9 items-center justify-center rounded-full bg-brand-600 text-white shadow ring-2 ring-white hover:bg-brand-700" (click)="fileInput.click()" [disabled]="uploading()" aria-label="Change photo" title="Change photo" data-testid="change-avatar">
                    <app-icon name="camera" [size]="17" />
                  </button>
                }
              </div>
              @if (uploading()) { <p class="mt-2 text-xs text-slate-500" role="status">Uploading photo…</p> }
              <h2 id="profile-name" class="mt-3 text-xl font-semibold text-slate-900" data-testid="profile-name">{{ u.fullName }}</h2>
              <p class="text-sm text-slate-500">&#64;{{ u.username }}</p>
              @if (!own()) {
                <p class="mt-1 text-xs" [class]="status() === 'Online' ? 'text-emerald-600' : 'text-slate-500'" data-testid="profile-presence">{{ status() }}</p>
                <button type="button" class="btn-primary mt-4" (click)="startChat(u)" data-testid="start-chat"><app-icon name="chat" [size]="18" /> Start chat</button>
              }
            </div>
            <div class="divide-y divide-slate-100 border-t border-slate-100 px-6">
              @if (own()) {
                <app-editable-field label="Full name" testKey="fullName" [value]="u.fullName" [validate]="vName" [onSave]="saveName" />
                <app-editable-field label="Bio" testKey="bio" [value]="u.bio" placeholder="[no bio]" [multiline]="true" [validate]="vBio" [onSave]="saveBio" />
                <app-editable-field label="Email" testKey="email" type="email" [value]="u.email" [validate]="vEmail" [onSave]="saveEmail" />
                <div class="py-3">
                  <span class="text-xs font-medium tracking-wide text-slate-500 uppercase">Username</span>
                  <p class="mt-0.5 text-[15px] text-slate-900">{{ u.username }}</p>
                </div>
              } @else {
                <div class="py-3">
                  <span class="text-xs font-medium tracking-wide text-slate-500 uppercase">Bio</span>
                  <p class="mt-0.5 text-[15px] whitespace-pre-wrap" [class]="u.bio ? 'text-slate-900' : 'text-slate-400 italic'">{{ u.bio || '[no bio]' }}</p>
                </div>
              }
            </div>
          </section>
          @if (own()) {
            <button type="button" class="btn-outline mt-6 w-full text-rose-600" (click)="confirmLogout.set(true)" data-testid="profile-logout"><app-icon name="logout" [size]="18" /> Log out</button>
          }
        } @else {
          <div class="card flex animate-pulse flex-col items-center gap-3 p-10">
            <div class="h-24 w-24 rounded-full bg-slate-200"></div>
            <div class="h-4 w-40 rounded bg-slate-200"></div>
          </div>
        }
      </main>
    </div>
    @if (confirmLogout()) {
      <app-confirm-dialog heading="Log out?" text="You will need to sign in again to read and send messages." confirmText="Log out" [danger]="true" (confirm)="logout()" (cancel)="confirmLogout.set(false)" />
    }
    @if (viewing(); as src) {
      <app-image-viewer [src]="src" (closed)="viewing.set(null)" />
    }
  `,
  host: { class: 'block min-h-full' },
})
export class ProfilePage {
  private readonly api = inject(ApiService);
  private readonly uploads = inject(UploadService);
  private readonly store = inject(Store);
  private readonly router = inject(Router);
  private readonly toast = inject(ToastService);
  private readonly session = inject(SessionService);
  readonly username = input.required<string>();
  private readonly me = this.store.selectSignal(selectMe);
  private readonly presence = this.store.selectSignal(selectPresence);
  private readonly other = signal<User | null>(null);
  private readonly myName = computed(() => this.me()?.username);
  readonly own = computed(() => this.username() === 'me' || this.username() === this.me()?.username);
  readonly user = computed(() => (this.own() ? this.me() : this.other()));
  readonly status = computed(() => presenceText(this.presence()[this.other()?.userId ?? '']) || '');
  readonly uploading = signal(false);
  readonly confirmLogout = signal(false);
  readonly viewing = signal<string | null>(null);

  readonly vName = fullNameError;
  readonly vBio = bioError;
  readonly vEmail = emailError;
  readonly saveName = (v: string) => this.patch({ fullName: v });
  readonly saveBio = (v: string) => this.patch({ bio: v });
  readonly saveEmail = (v: string) => this.patch({ email: v });

  constructor() {
    effect(() => {
      const name = this.username();
      const myName = this.myName();
      untracked(() => this.load(name, myName));
    });
  }

  private load(name: string, myName: string | undefined): void {
    {
      const me = myName ? { username: myName } : null;
      if (me && name === me.username) {
        this.router.navigateByUrl('/user/me', { replaceUrl: true });
        return;
      }
      if (name === 'me' || !me) return;
      firstValueFrom(this.api.lookup(name))
        .then((u) => {
          this.other.set(u);
          this.store.dispatch(sessionActions.usersSeen({ users: [u] }));
          return firstValueFrom(this.api.presence([u.userId]));
        })
        .then((p) => p && this.store.dispatch(presenceActions.loaded({ entries: Object.values(p) })))
        .catch((e) => {
          const err = toApiError(e);
          this.toast.error(err.status === 404 ? 'User not found' : err.message);
          this.router.navigateByUrl('/');
        });
    }
  }

  private async patch(body: Partial<Pick<User, 'fullName' | 'bio' | 'email' | 'avatar'>>): Promise<string | null> {
    try {
      const user = await firstValueFrom(this.api.updateMe(body));
      this.store.dispatch(sessionActions.meLoaded({ user }));
      this.toast.success('Profile updated');
      return null;
    } catch (e) {
      const err = toApiError(e);
      return Object.values(err.errors ?? {})[0] ?? err.message;
    }
  }

  uploadAvatar(e: Event): Promise<void> {
    return this.uploads.uploadPickedImage(e, (url) => this.patch({ avatar: url }), this.uploading, this.toast);
  }

  startChat(u: User): void {
    this.store.dispatch(roomActions.create({ body: { type: 'DIRECT_MESSAGE', name: 'Direct message', description: '', memberIds: [u.userId] }, open: true }));
  }

  async logout(): Promise<void> {
    this.confirmLogout.set(false);
    await this.session.logout();
  }
}
