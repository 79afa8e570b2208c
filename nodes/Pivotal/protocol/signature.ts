import { createHmac, timingSafeEqual } from 'node:crypto';

export type HeaderValue = string | string[] | undefined;
export type Headers = Record<string, HeaderValue>;

export interface SignedDelivery {
	messageId: string;
	/** Seconds since the epoch, as signed by the sender. */
	timestamp: number;
}

export type Verification =
	| ({ ok: true } & SignedDelivery)
	| { ok: false; reason: string; messageId?: string };

export interface VerifyInput {
	rawBody: Buffer;
	headers: Headers;
	/** HMAC keys to try, current secret first. */
	keys: Buffer[];
	nowSeconds: number;
	toleranceSeconds: number;
}

const TIMESTAMP = /^[0-9]{1,15}$/;

/**
 * Reads one of the Svix / Standard Webhooks headers, whatever its case. Svix's name wins when
 * both are present, as in the svix library, so both verifiers read the same values.
 */
function signatureHeader(headers: Headers, field: 'id' | 'timestamp' | 'signature'): string {
	let svix: HeaderValue;
	let standard: HeaderValue;
	for (const name of Object.keys(headers)) {
		const lower = name.toLowerCase();
		if (lower === `svix-${field}`) svix = headers[name];
		else if (lower === `webhook-${field}`) standard = headers[name];
	}
	const value = svix ?? standard;
	return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** @internal Exported for the tests. */
export function readSignatureHeaders(headers: Headers) {
	return {
		messageId: signatureHeader(headers, 'id'),
		timestamp: signatureHeader(headers, 'timestamp'),
		signatures: signatureHeader(headers, 'signature'),
	};
}

/** The Standard Webhooks signature of a message, base64 (without the `v1,` prefix). */
export function expectedSignature(
	key: Buffer,
	messageId: string,
	timestamp: string,
	rawBody: Buffer,
) {
	return createHmac('sha256', key)
		.update(`${messageId}.${timestamp}.`)
		.update(rawBody)
		.digest('base64');
}

/** Constant time for equal lengths; base64 of a SHA-256 is always 44 characters. */
function sameText(a: string, b: string): boolean {
	const left = Buffer.from(a);
	const right = Buffer.from(b);
	return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies a Standard Webhooks (Svix) signature over the exact bytes received. The reason is
 * for n8n's log: it names what failed and never carries a secret or an expected signature.
 */
export function verifySignature(input: VerifyInput): Verification {
	const { messageId, timestamp, signatures } = readSignatureHeaders(input.headers);
	const missing = [
		messageId ? '' : 'id',
		timestamp ? '' : 'timestamp',
		signatures ? '' : 'signature',
	].filter(Boolean);
	if (missing.length > 0) {
		return {
			ok: false,
			reason: `missing signature header(s): ${missing.join(', ')} (svix-* or webhook-*)`,
			messageId: messageId || undefined,
		};
	}
	if (!TIMESTAMP.test(timestamp)) {
		return { ok: false, reason: 'timestamp header is not a whole number of seconds', messageId };
	}
	const signedAt = Number(timestamp);
	const age = input.nowSeconds - signedAt;
	if (age > input.toleranceSeconds) {
		return {
			ok: false,
			reason: `timestamp is ${age} s old, tolerance is ${input.toleranceSeconds} s`,
			messageId,
		};
	}
	if (-age > input.toleranceSeconds) {
		return {
			ok: false,
			reason: `timestamp is ${-age} s in the future, tolerance is ${input.toleranceSeconds} s`,
			messageId,
		};
	}
	if (input.keys.length === 0) {
		return { ok: false, reason: 'no usable signing secret is configured', messageId };
	}
	const offered = signatures
		.split(' ')
		.map((entry) => entry.split(','))
		.filter(([version, signature]) => version === 'v1' && signature !== undefined)
		.map(([, signature]) => signature);
	if (offered.length === 0) {
		return { ok: false, reason: 'signature header has no v1 signature', messageId };
	}
	// Signed as the number, not the header text: the svix library does so, so a leading zero
	// cannot make the two verifiers disagree.
	const signedTimestamp = String(signedAt);
	for (const key of input.keys) {
		const expected = expectedSignature(key, messageId, signedTimestamp, input.rawBody);
		if (offered.some((signature) => sameText(signature, expected))) {
			return { ok: true, messageId, timestamp: signedAt };
		}
	}
	return { ok: false, reason: 'no signature matches the configured secret(s)', messageId };
}
