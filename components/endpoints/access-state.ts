/**
 * What the studio says about who may call an endpoint, from its access mode and keys: the one
 * place the page decides between "public", "keyed", "closed" (keyed with no live key) and
 * "public although it has keys", and reads the browser origins a user typed.
 */
export type AccessState = 'public' | 'public-with-keys' | 'keyed' | 'closed';

export function accessState(ep: { access: 'public' | 'keys'; keys: { revokedAt: Date | string | null }[] }): AccessState {
  const live = ep.keys.some((k) => !k.revokedAt);
  if (ep.access === 'public') return live ? 'public-with-keys' : 'public';
  return live ? 'keyed' : 'closed';
}

/** The line shown under "Access" for each state. */
export const ACCESS_TEXT: Record<AccessState, string> = {
  public: 'Public: anyone who can reach the serving port can call it.',
  'public-with-keys': 'Public: anyone who can reach the serving port can call it; its keys are not checked.',
  keyed: 'API key required: requests must send one of the active keys below.',
  closed: 'Closed: an API key is required and none is active, so every request is refused (401). Create a key, or make the endpoint public.',
};

/** The short form, for lists and the endpoint's summary. */
export const ACCESS_LABEL: Record<AccessState, string> = {
  public: 'public',
  'public-with-keys': 'public (keys not checked)',
  keyed: 'API key required',
  closed: 'closed: key required, none active',
};

/** A serving-replica confirmation as the mutations answer it, in one line (null when all confirmed). */
export function unconfirmedText(r: { unconfirmed: string[] } | undefined): string | null {
  if (!r || r.unconfirmed.length === 0) return null;
  return `Not yet confirmed by ${r.unconfirmed.length} serving replica${r.unconfirmed.length > 1 ? 's' : ''} (${r.unconfirmed.join(', ')}): they may still answer with the old settings until they apply it.`;
}

/** Origins as typed: one per line or separated by commas or blanks, empty entries dropped (the server validates them). */
export function parseOriginList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
