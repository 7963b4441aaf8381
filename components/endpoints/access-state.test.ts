import { describe, expect, it } from 'vitest';
import { accessState, parseOriginList, unconfirmedText } from './access-state';

describe('accessState', () => {
  const live = { revokedAt: null };
  const revoked = { revokedAt: '2024-05-01T00:00:00Z' };

  it('tells public, keyed, closed and public-with-keys apart', () => {
    expect(accessState({ access: 'public', keys: [] })).toBe('public');
    expect(accessState({ access: 'public', keys: [revoked] })).toBe('public');
    expect(accessState({ access: 'public', keys: [live] })).toBe('public-with-keys');
    expect(accessState({ access: 'keys', keys: [revoked, live] })).toBe('keyed');
    // The last key revoked: closed, never quietly public.
    expect(accessState({ access: 'keys', keys: [revoked] })).toBe('closed');
    expect(accessState({ access: 'keys', keys: [] })).toBe('closed');
  });

  it('names the serving replicas that did not confirm a change', () => {
    expect(unconfirmedText({ unconfirmed: [] })).toBeNull();
    expect(unconfirmedText(undefined)).toBeNull();
    expect(unconfirmedText({ unconfirmed: ['host:1:ab', 'host:2:cd'] })).toContain('2 serving replicas (host:1:ab, host:2:cd)');
  });
});

describe('parseOriginList', () => {
  it('takes one origin per line, or commas and blanks, and drops empty entries', () => {
    expect(parseOriginList('https://a.example\n\n  http://localhost:5173 , https://b.example,')).toEqual(['https://a.example', 'http://localhost:5173', 'https://b.example']);
    expect(parseOriginList('  \n ')).toEqual([]);
  });
});
