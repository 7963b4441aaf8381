'use client';

/**
 * HTML from `kiln.html(...)`: only inside an iframe whose sandbox grants nothing: no scripts, no
 * same origin, no forms, no popups. The HTML never touches the studio's document.
 */
export function HtmlOutput({ html }: { html: string }) {
  return <iframe className="nb-out-html" sandbox="" srcDoc={html} title="HTML output (sandboxed)" referrerPolicy="no-referrer" />;
}
