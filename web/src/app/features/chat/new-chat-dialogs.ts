import { Component, effect, inject, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Actions, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { UserSummary } from '../../core/models';
import { ToastService } from '../../core/toast.service';
import { AvatarComponent } from '../../shared/avatar.component';
import { DialogComponent } from '../../shared/dialog.component';
import { UserSearchComponent } from '../../shared/user-search.component';
import { roomActions } from '../../store/actions';
import { roomsFeature } from '../../store/rooms.reducer';

@Component({
  selector: 'app-new-dm-dialog',
  imports: [DialogComponent, UserSearchComponent],
  template: `
    <app-dialog heading="New chat" (closed)="closed.emit()">
      <app-user-search label="Find someone to chat with" (selected)="start($event)" />
    </app-dialog>
  `,
})
export class NewDmDialogComponent {
  private readonly store = inject(Store);
  private readonly toast = inject(ToastService);
  readonly closed = output<void>();

  constructor() {
    inject(Actions)
      .pipe(ofType(roomActions.createFailed), takeUntilDestroyed())
      .subscribe(({ error }) => this.toast.error(error));
  }

  start(u: UserSummary): void {
    this.store.dispatch(
      roomActions.create({ body: { type: 'DIRECT_MESSAGE', name: 'Direct message', description: '', memberIds: [u.userId] }, open: true }),
    );
    this.closed.emit();
  }
}

@Component({
  selector: 'app-new-group-dialog',
  imports: [DialogComponent, UserSearchComponent, AvatarComponent, FormsModule],
  template: `
    <app-dialog heading="New group" [wide]="false" (closed)="closed.emit()">
      <form id="new-group-form" class="space-y-4" (ngSubmit)="create()" novalidate>
        <div>
          <label class="label" for="group-name">Group name</label>
          <input id="group-name" class="field" name="name" [(ngModel)]="name" maxlength="100" required autofocus [class.field-invalid]="tried() && nameError()" aria-describedby="group-name-err" />
          @if (tried() && nameError()) { <p id="group-name-err" class="field-error">{{ nameError() }}</p> }
        </div>
        <div>
          <label class="label" for="group-desc">Description <span class="font-normal text-slate-400">(optional)</span></label>
          <textarea id="group-desc" class="field min-h-16" name="description" [(ngModel)]="description" maxlength="1000"></textarea>
        </div>
        <div>
          <p class="label" id="group-members-label">Members</p>
          @if (members().length) {
            <ul class="mb-3 flex flex-wrap gap-2" aria-labelledby="group-members-label">
              @for (m of members(); track m.userId) {
                <li class="flex items-center gap-1.5 rounded-full bg-brand-50 py-1 pr-1 pl-1 text-sm text-brand-800 ring-1 ring-brand-100">
                  <app-avatar [name]="m.fullName" [src]="m.avatar" [seed]="m.userId" [size]="22" />
                  <span>{{ m.fullName }}</span>
                  <button type="button" class="flex h-5 w-5 items-center justify-center rounded-full hover:bg-brand-100" (click)="toggle(m)" [attr.aria-label]="'Remove ' + m.fullName">✕</button>
                </li>
              }
            </ul>
          } @else if (tried()) {
            <p class="field-error mb-2">Add at least one member</p>
          }
          <app-user-search label="Add members" placeholder="Search people to add" [selectedIds]="memberIds()" (selected)="toggle($event)" />
        </div>
      </form>
      <div dialog-actions class="flex justify-end gap-2 border-t border-slate-100 bg-slate-50 px-5 py-3">
        <button type="button" class="btn-outline" (click)="closed.emit()">Cancel</button>
        <button type="submit" form="new-group-form" class="btn-primary" [disabled]="creating()" data-testid="create-group">{{ creating() ? 'Creating…' : 'Create group' }}</button>
      </div>
    </app-dialog>
  `,
})
export class NewGroupDialogComponent {
  private readonly store = inject(Store);
  private readonly toast = inject(ToastService);
  readonly closed = output<void>();
  name = '';
  description = '';
  readonly members = signal<UserSummary[]>([]);
  readonly memberIds = signal<string[]>([]);
  readonly tried = signal(false);
  readonly creating = signal(false);

  constructor() {
    const actions = inject(Actions);
    actions.pipe(ofType(roomActions.created), takeUntilDestroyed()).subscribe(() => {
      if (this.creating()) this.closed.emit();
    });
    actions.pipe(ofType(roomActions.createFailed), takeUntilDestroyed()).subscribe(({ error }) => {
      this.creating.set(false);
      this.toast.error(error);
    });
    effect(() => this.memberIds.set(this.members().map((m) => m.userId)));
    void roomsFeature;
  }

  nameError(): string | null {
    const n = this.name.trim();
    if (!n) return 'Give the group a name';
    if ([...n].length > 100) return 'At most 100 characters';
    return null;
  }

  toggle(u: UserSummary): void {
    this.members.update((list) => (list.some((m) => m.userId === u.userId) ? list.filter((m) => m.userId !== u.userId) : [...list, u]));
  }

  create(): void {
    this.tried.set(true);
    if (this.nameError() || !this.members().length) return;
    this.creating.set(true);
    this.store.dispatch(
      roomActions.create({
        body: { type: 'PRIVATE', name: this.name.trim(), description: this.description.trim(), memberIds: this.memberIds() },
        open: true,
      }),
    );
  }
}
