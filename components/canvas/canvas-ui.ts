/** Canvas-only UI state shared by the toolbar, the flow and the palette (not part of the graph). */
import { create } from 'zustand';

export interface CanvasNotice {
  kind: 'error' | 'info';
  text: string;
  /** connection refusals get their own test id */
  source?: 'connection' | 'import' | 'clipboard' | 'export';
  at: number;
}

interface CanvasUi {
  notice: CanvasNotice | null;
  notify(n: Omit<CanvasNotice, 'at'>): void;
  clear(): void;
}

let timer: ReturnType<typeof setTimeout> | undefined;

export const useCanvasUi = create<CanvasUi>()((set) => ({
  notice: null,
  notify(n) {
    if (timer) clearTimeout(timer);
    set({ notice: { ...n, at: Date.now() } });
    // Errors stay longer: the user has to read what went wrong.
    timer = setTimeout(() => set({ notice: null }), n.kind === 'error' ? 8000 : 3500);
  },
  clear() {
    if (timer) clearTimeout(timer);
    set({ notice: null });
  },
}));
