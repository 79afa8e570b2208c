const SECRET_PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type ParsedSecret = { ok: true; key: Buffer } | { ok: false; problem: string };

/**
 * Turns the secret a user pasted into the HMAC key. Svix shows secrets as `whsec_` + base64; the
 * bare base64 is accepted too. Surrounding whitespace is dropped because copy-paste brings it.
 * The problem text is shown to the user, so it never repeats the secret.
 */
export function parseSigningSecret(raw: unknown): ParsedSecret {
	if (typeof raw !== 'string' || raw.trim() === '') {
		return {
			ok: false,
			problem:
				'The signing secret is empty: paste the signing secret of your webhook endpoint in Pivotal (it starts with whsec_)',
		};
	}
	const trimmed = raw.trim();
	const encoded = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
	if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
		return {
			ok: false,
			problem:
				'The signing secret is not valid: copy the signing secret of your webhook endpoint in Pivotal again. It starts with whsec_ followed by letters, digits, + and / (an API key will not work)',
		};
	}
	const key = Buffer.from(encoded, 'base64');
	if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
		return {
			ok: false,
			problem: `The signing secret decodes to ${key.length} bytes, but Pivotal secrets are ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes: copy the whole secret again from Pivotal`,
		};
	}
	return { ok: true, key };
}
