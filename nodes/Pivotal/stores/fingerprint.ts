import { createHash } from 'node:crypto';

/** 9 bytes of SHA-256 in base64url: 12 characters whatever the id's length. */
export const FINGERPRINT_CHARS = 12;

/**
 * How an id (an event id, or an object id in the version store) is kept: its first 72 bits of
 * SHA-256, so every entry has one width whatever the id's length, and stored data holds no id.
 */
export function fingerprint(id: string): string {
	return createHash('sha256').update(id).digest().subarray(0, 9).toString('base64url');
}
