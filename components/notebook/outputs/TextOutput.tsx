'use client';

/** Plain text: always a React text node, never parsed as HTML. */
export function TextOutput({ text, json }: { text: string; json?: boolean }) {
  return <pre className={`nb-out-text${json ? ' nb-out-json' : ''}`}>{text}</pre>;
}
