import { randomBytes } from 'node:crypto';

import { parseSigningSecret } from '../nodes/Pivotal/protocol/signingSecret';

describe('parseSigningSecret', () => {
	it('decodes a whsec_ secret into its key bytes', () => {
		const key = randomBytes(32);
		expect(parseSigningSecret(`whsec_${key.toString('base64')}`)).toEqual({ ok: true, key });
	});

	it('accepts the bare base64 and surrounding whitespace from copy-paste', () => {
		const key = randomBytes(24);
		expect(parseSigningSecret(`  ${key.toString('base64')}\n`)).toEqual({ ok: true, key });
	});

	it.each([24, 32, 64])('accepts a %i-byte key', (bytes) => {
		expect(parseSigningSecret(`whsec_${randomBytes(bytes).toString('base64')}`).ok).toBe(true);
	});

	it.each([
		['empty', '', 'empty'],
		['only whitespace', '   ', 'empty'],
		['not a string', 42, 'empty'],
		['not base64', 'whsec_not*base64!', 'not valid'],
		['an API key pasted by mistake', `sk_live_${randomBytes(12).toString('hex')}`, 'not valid'],
	])('rejects %s with a clear message', (_label, secret, words) => {
		const parsed = parseSigningSecret(secret);
		expect(parsed).toEqual({ ok: false, problem: expect.stringContaining(words) });
	});

	it.each([16, 23, 65, 128])('rejects a %i-byte key and says how long it should be', (bytes) => {
		const parsed = parseSigningSecret(`whsec_${randomBytes(bytes).toString('base64')}`);
		expect(parsed).toEqual({ ok: false, problem: expect.stringContaining('24 to 64 bytes') });
	});

	it('never repeats the secret in its message', () => {
		const secret = `whsec_${randomBytes(16).toString('base64')}`;
		const parsed = parseSigningSecret(secret);
		expect(parsed.ok).toBe(false);
		expect(JSON.stringify(parsed)).not.toContain(secret.slice(6));
	});
});
