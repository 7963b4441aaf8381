'use client';
import { useEffect } from 'react';
import { useGraphStore } from '../studio/graph-store';
import { copySelection, deleteSelection, pasteClipboard } from './commands';

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/**
 * Canvas keyboard shortcuts: Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z and Ctrl+Y redo, Ctrl/⌘+C/V copy and
 * paste, Ctrl/⌘+A select all, Delete/Backspace delete. Ignored while typing in a field.
 */
export function useShortcuts(selectedEdges: () => string[]): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typing(e.target) || e.defaultPrevented) return;
      const store = useGraphStore.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) store.redo();
        else store.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        store.redo();
      } else if (mod && key === 'c') {
        // Leave text selections on the page to the browser.
        if (window.getSelection()?.toString()) return;
        e.preventDefault();
        copySelection();
      } else if (mod && key === 'v') {
        e.preventDefault();
        pasteClipboard();
      } else if (mod && key === 'a') {
        e.preventDefault();
        store.setSelection(store.graph.nodes.map((n) => n.id));
      } else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        deleteSelection(selectedEdges());
      } else if (e.key === 'Escape') {
        store.setSelection([]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selectedEdges]);
}
