import { Component, computed, input } from '@angular/core';

// Stroke icons (24×24, 1.75 stroke), inline so the client needs no icon font.
const PATHS: Record<string, string> = {
  plus: 'M12 5v14M5 12h14',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  paperclip: 'M21 11.5l-8.6 8.6a5 5 0 01-7.1-7.1l8.6-8.6a3.5 3.5 0 015 5l-8.6 8.6a2 2 0 01-2.8-2.8l7.9-7.9',
  image: 'M4 5h16v14H4zM4 16l4.5-4.5 3.5 3.5 2.5-2.5L20 17.5M9 9.5a1 1 0 100-.01',
  x: 'M6 6l12 12M18 6L6 18',
  back: 'M15 18l-6-6 6-6',
  more: 'M12 6h.01M12 12h.01M12 18h.01',
  search: 'M11 18a7 7 0 110-14 7 7 0 010 14zM20 20l-3.5-3.5',
  user: 'M12 12a4 4 0 100-8 4 4 0 000 8zM4 20a8 8 0 0116 0',
  users: 'M9 11a4 4 0 100-8 4 4 0 000 8zM2 20a7 7 0 0114 0M16 3.5a4 4 0 010 7.5M18 14a6 6 0 014 6',
  chat: 'M4 5h16v11H9l-5 4V5z',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11',
  edit: 'M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4',
  check: 'M5 12.5l4.5 4.5L19 7',
  checks: 'M2 12.5L6.5 17 16 7M11.5 15.5L13 17l9-10',
  clock: 'M12 21a9 9 0 110-18 9 9 0 010 18zM12 7v5l3 2',
  alert: 'M12 8v5M12 16.5h.01M10.3 3.9L2.4 18a2 2 0 001.7 3h15.8a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z',
  file: 'M14 3H6v18h12V7l-4-4zM14 3v4h4',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  retry: 'M4 12a8 8 0 0114-5.3M20 12a8 8 0 01-14 5.3M18 3v4h-4M6 21v-4h4',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6l8-3z',
  camera: 'M4 8h3l2-3h6l2 3h3v11H4zM12 17a3.5 3.5 0 100-7 3.5 3.5 0 000 7z',
  arrowDown: 'M12 5v14M6 13l6 6 6-6',
  wifiOff: 'M3 3l18 18M8.5 16.5a5 5 0 017 0M5 12.5a10 10 0 013.5-2.2M19 12.5a10 10 0 00-5-2.7M2 8.8a15 15 0 014.3-2.6M22 8.8A15 15 0 0011 5M12 20h.01',
  leave: 'M10 4H5v16h5M14 8l4 4-4 4M18 12H9',
};

@Component({
  selector: 'app-icon',
  template: `<svg
    [attr.width]="size()"
    [attr.height]="size()"
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    [attr.stroke-width]="stroke()"
    stroke-linecap="round"
    stroke-linejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    <path [attr.d]="d()" />
  </svg>`,
  host: { class: 'inline-flex shrink-0' },
})
export class IconComponent {
  readonly name = input.required<string>();
  readonly size = input(20);
  readonly stroke = input(1.75);
  readonly d = computed(() => PATHS[this.name()] ?? '');
}
