import { readSignatureHeaders, verifySignature } from '../nodes/Pivotal/protocol/signature';
import { keyOf, newSecret, sampleEvent, signDelivery } from './helpers/signing';

const NOW = 1_780_000_000;

function verify(
	request: { body: Buffer; headers: Record<string, string> },
	keys: Buffer[],
	nowSeconds = NOW,
	toleranceSeconds = 300,
) {
	return verifySignature({
		rawBody: request.body,
		headers: request.headers,
		keys,
		nowSeconds,
		toleranceSeconds,
	});
}

describe('verifySignature', () => {
	const secret = newSecret();
	const body = JSON.stringify(sampleEvent());

	it('accepts a delivery signed by svix and returns its id and timestamp', () => {
		const signed = signDelivery(body, { secret, messageId: 'msg_1', timestampSeconds: NOW });
		expect(verify(signed, [keyOf(secret)])).toEqual({
			ok: true,
			messageId: 'msg_1',
			timestamp: NOW,
		});
	});

	it('accepts the Standard Webhooks header names', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW, headerSet: 'webhook' });
		expect(verify(signed, [keyOf(secret)]).ok).toBe(true);
	});

	it('reads header names whatever their case', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const shouting = Object.fromEntries(
			Object.entries(signed.headers).map(([name, value]) => [name.toUpperCase(), value]),
		);
		expect(verify({ body: signed.body, headers: shouting }, [keyOf(secret)]).ok).toBe(true);
	});

	it('verifies the exact bytes: the same JSON with other whitespace is rejected', () => {
		const original = '{"id":"evt_1", "type":"invoice.paid",\n "data":{"object":{"amount":1.50}}}';
		const signed = signDelivery(original, { secret, timestampSeconds: NOW });
		expect(verify(signed, [keyOf(secret)]).ok).toBe(true);
		const reStringified = Buffer.from(JSON.stringify(JSON.parse(original)));
		const result = verify({ body: reStringified, headers: signed.headers }, [keyOf(secret)]);
		expect(result).toMatchObject({
			ok: false,
			reason: expect.stringContaining('no signature matches'),
		});
	});

	it('rejects a tampered body', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const tampered = Buffer.from(body.replace('4200', '4201'));
		expect(verify({ body: tampered, headers: signed.headers }, [keyOf(secret)]).ok).toBe(false);
	});

	it('rejects a delivery signed with another secret', () => {
		const signed = signDelivery(body, { secret: newSecret(), timestampSeconds: NOW });
		expect(verify(signed, [keyOf(secret)])).toMatchObject({ ok: false });
	});

	it('accepts a signature made with the previous secret during a rotation', () => {
		const previous = newSecret();
		const signed = signDelivery(body, { secret: previous, timestampSeconds: NOW });
		expect(verify(signed, [keyOf(secret), keyOf(previous)]).ok).toBe(true);
		expect(verify(signed, [keyOf(secret)]).ok).toBe(false);
	});

	it('accepts when any v1 entry matches and ignores other versions', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const good = signed.headers['svix-signature'];
		const headers = {
			...signed.headers,
			'svix-signature': `v1a,${good.slice(3)} v1,${Buffer.alloc(32).toString('base64')} ${good}`,
		};
		expect(verify({ body: signed.body, headers }, [keyOf(secret)]).ok).toBe(true);
	});

	it('does not accept a matching signature labelled with another version', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const headers = {
			...signed.headers,
			'svix-signature': signed.headers['svix-signature'].replace('v1,', 'v2,'),
		};
		expect(verify({ body: signed.body, headers }, [keyOf(secret)])).toMatchObject({
			ok: false,
			reason: 'signature header has no v1 signature',
		});
	});

	it.each([
		['too old', NOW - 301, 'old'],
		['from the future', NOW + 301, 'in the future'],
	])('rejects a timestamp %s and says so', (_label, timestampSeconds, words) => {
		const signed = signDelivery(body, { secret, timestampSeconds });
		const result = verify(signed, [keyOf(secret)]);
		expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(words) });
	});

	it('accepts timestamps exactly at the tolerance on both sides', () => {
		for (const timestampSeconds of [NOW - 300, NOW + 300]) {
			const signed = signDelivery(body, { secret, timestampSeconds });
			expect(verify(signed, [keyOf(secret)]).ok).toBe(true);
		}
	});

	it('applies a custom tolerance', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW - 1000 });
		expect(verify(signed, [keyOf(secret)], NOW, 300).ok).toBe(false);
		expect(verify(signed, [keyOf(secret)], NOW, 3600).ok).toBe(true);
	});

	it('rejects a timestamp that is not a whole number', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const headers = { ...signed.headers, 'svix-timestamp': `${NOW}.5` };
		expect(verify({ body: signed.body, headers }, [keyOf(secret)])).toMatchObject({
			ok: false,
			reason: 'timestamp header is not a whole number of seconds',
		});
	});

	it.each(['svix-id', 'svix-timestamp', 'svix-signature'])(
		'rejects a delivery without %s',
		(name) => {
			const signed = signDelivery(body, { secret, timestampSeconds: NOW });
			const headers = { ...signed.headers };
			delete headers[name];
			const result = verify({ body: signed.body, headers }, [keyOf(secret)]);
			expect(result).toMatchObject({
				ok: false,
				reason: expect.stringContaining('missing signature header'),
			});
		},
	);

	it('rejects everything when no key is configured', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		expect(verify(signed, [])).toMatchObject({
			ok: false,
			reason: 'no usable signing secret is configured',
		});
	});

	it('never puts the secret or the expected signature in its reason', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW });
		const tampered = Buffer.from(`${body} `);
		const result = verify({ body: tampered, headers: signed.headers }, [keyOf(secret)]);
		const expected = signDelivery(tampered, {
			secret,
			timestampSeconds: NOW,
			messageId: signed.headers['svix-id'],
		}).headers['svix-signature'].slice(3);
		expect(result.ok).toBe(false);
		const text = JSON.stringify(result);
		expect(text).not.toContain(secret.slice(6));
		expect(text).not.toContain(expected);
	});

	it('prefers svix headers over webhook headers when both are present', () => {
		const signed = signDelivery(body, { secret, timestampSeconds: NOW, messageId: 'msg_svix' });
		const headers = { ...signed.headers, 'webhook-id': 'msg_other' };
		expect(readSignatureHeaders(headers).messageId).toBe('msg_svix');
		expect(verify({ body: signed.body, headers }, [keyOf(secret)]).ok).toBe(true);
	});
});
