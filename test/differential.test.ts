import { createHmac, randomInt } from 'node:crypto';
import { Webhook } from 'svix';

import { verifySignature } from '../nodes/Pivotal/protocol/signature';
import { parseSigningSecret } from '../nodes/Pivotal/protocol/signingSecret';

/**
 * Our verifier against svix's `Webhook#verify`, the reference implementation of the scheme, on
 * randomized deliveries. Both must accept or reject every case alike. The seed is printed on
 * failure so a case can be replayed.
 */
const CASES = 2500;
const TOLERANCE = 300;
const SEED = randomInt(2 ** 31);

function prng(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
	const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
	const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(0, 255)));
	return { next, int, pick, bytes };
}
type Random = ReturnType<typeof prng>;

const TEXT_PIECES = [
	'a',
	'Z',
	'0',
	' ',
	'"',
	'\\',
	'/',
	'é',
	'ß',
	'中',
	'文',
	'😀',
	'🚀',
	'\u0000',
	'\n',
	'ü',
	'∑',
];

function randomText(random: Random, maxLength: number): string {
	return Array.from({ length: random.int(0, maxLength) }, () => random.pick(TEXT_PIECES)).join('');
}

function randomPayload(random: Random): string {
	const event = {
		id: `evt_${randomText(random, 8)}`,
		type: random.pick(['invoice.paid', 'customer.deleted', 'subscription.updated']),
		data: { object: { note: randomText(random, 40), amount: random.int(0, 1e6) / 100 } },
	};
	const space = random.pick([undefined, 0, 1, 2, '\t']);
	const json = JSON.stringify(event, null, space);
	// Bytes a re-stringify would change: both verifiers must sign what was sent.
	return random.next() < 0.3 ? json.replace(/:/g, ' : ').replace('}', ' }') : json;
}

function randomSecret(random: Random): string {
	const encoded = random.bytes(random.int(24, 64)).toString('base64');
	return random.next() < 0.8 ? `whsec_${encoded}` : encoded;
}

function sign(secret: string, id: string, timestamp: number, payload: string): string {
	return new Webhook(secret).sign(id, new Date(timestamp * 1000), payload);
}

interface Case {
	payload: string;
	headers: Record<string, string>;
	secret: string;
	now: number;
	mutation: string;
}

function randomCase(random: Random): Case {
	const secret = randomSecret(random);
	const now = random.int(1_600_000_000, 1_900_000_000);
	const offset = random.pick([
		0,
		1,
		-1,
		299,
		-299,
		300,
		-300,
		301,
		-301,
		5000,
		-5000,
		random.int(-600, 600),
	]);
	const timestamp = now + offset;
	const id = random.pick([`msg_${randomText(random, 10)}`, `msg_${random.int(0, 1e9)}`, 'a.b.c']);
	let payload = randomPayload(random);
	let signatures = [sign(secret, id, timestamp, payload)];
	let timestampText = String(timestamp);
	const mutation = random.pick([
		'none',
		'none',
		'tamper-body',
		'wrong-secret',
		'extra-signatures',
		'other-version',
		'only-other-versions',
		'wrong-id',
		'wrong-timestamp',
		'leading-zeros',
		'truncated-signature',
		'missing-header',
		'empty-signature',
		'rotation',
	]);
	switch (mutation) {
		case 'tamper-body':
			payload = payload.replace(/[0-9a-z]/, (c) => (c === '1' ? '2' : '1'));
			break;
		case 'wrong-secret':
			signatures = [sign(randomSecret(random), id, timestamp, payload)];
			break;
		case 'extra-signatures':
			signatures = [
				`v1,${random.bytes(32).toString('base64')}`,
				...signatures,
				`v1,${random.bytes(32).toString('base64')}`,
			].sort(() => random.next() - 0.5);
			break;
		case 'other-version':
			signatures = [`v2,${random.bytes(32).toString('base64')}`, ...signatures];
			break;
		case 'only-other-versions':
			signatures = signatures.map((signature) =>
				signature.replace('v1,', random.pick(['v2,', 'v1a,', 'V1,'])),
			);
			break;
		case 'wrong-id':
			signatures = [sign(secret, `${id}x`, timestamp, payload)];
			break;
		case 'wrong-timestamp':
			signatures = [sign(secret, id, timestamp + 1, payload)];
			break;
		case 'leading-zeros':
			timestampText = `00${timestamp}`;
			break;
		case 'truncated-signature':
			signatures = signatures.map((signature) => signature.slice(0, -random.int(1, 4)));
			break;
		case 'empty-signature':
			signatures = ['v1,'];
			break;
		case 'rotation':
			signatures = [sign(randomSecret(random), id, timestamp, payload), ...signatures];
			break;
	}
	const prefix = random.pick(['svix', 'webhook', 'Svix', 'WEBHOOK']);
	const headers: Record<string, string> = {
		[`${prefix}-id`]: id,
		[`${prefix}-timestamp`]: timestampText,
		[`${prefix}-signature`]: signatures.join(' '),
	};
	if (mutation === 'missing-header') {
		delete headers[`${prefix}-${random.pick(['id', 'timestamp', 'signature'])}`];
	}
	return { payload, headers, secret, now, mutation };
}

function ours(testCase: Case): boolean {
	const parsed = parseSigningSecret(testCase.secret);
	if (!parsed.ok) throw new Error(parsed.problem);
	return verifySignature({
		rawBody: Buffer.from(testCase.payload, 'utf8'),
		headers: testCase.headers,
		keys: [parsed.key],
		nowSeconds: testCase.now,
		toleranceSeconds: TOLERANCE,
	}).ok;
}

function svixVerdict(testCase: Case): boolean {
	const nowSpy = jest.spyOn(Date, 'now').mockReturnValue(testCase.now * 1000);
	try {
		new Webhook(testCase.secret).verify(testCase.payload, testCase.headers);
		return true;
	} catch {
		return false;
	} finally {
		nowSpy.mockRestore();
	}
}

describe(`our verifier and svix agree (seed ${SEED})`, () => {
	it(`on ${CASES} randomized deliveries`, () => {
		const random = prng(SEED);
		const disagreements: string[] = [];
		const verdicts = { accepted: 0, rejected: 0 };
		const mutations = new Set<string>();
		for (let n = 0; n < CASES; n++) {
			const testCase = randomCase(random);
			mutations.add(testCase.mutation);
			const mine = ours(testCase);
			if (mine !== svixVerdict(testCase)) {
				disagreements.push(
					`case ${n} (${testCase.mutation}): ours=${mine} ${JSON.stringify(testCase)}`,
				);
			}
			verdicts[mine ? 'accepted' : 'rejected']++;
		}
		expect(disagreements.slice(0, 5)).toEqual([]);
		// Both outcomes and every kind of mutation were really exercised.
		expect(verdicts.accepted).toBeGreaterThan(CASES / 5);
		expect(verdicts.rejected).toBeGreaterThan(CASES / 5);
		expect(mutations.size).toBe(13);
	});
});

describe('where we deliberately differ from svix', () => {
	const now = 1_780_000_000;
	const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
	const key = Buffer.alloc(32, 7);

	it('verifies bytes that are not UTF-8 as sent; svix decodes them first and cannot', () => {
		const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
		const signature = createHmac('sha256', key)
			.update(Buffer.concat([Buffer.from(`msg_1.${now}.`), body]))
			.digest('base64');
		const headers = {
			'svix-id': 'msg_1',
			'svix-timestamp': String(now),
			'svix-signature': `v1,${signature}`,
		};
		const mine = verifySignature({
			rawBody: body,
			headers,
			keys: [key],
			nowSeconds: now,
			toleranceSeconds: TOLERANCE,
		});
		expect(mine.ok).toBe(true);
		expect(
			svixVerdict({ payload: body as unknown as string, headers, secret, now, mutation: 'bytes' }),
		).toBe(false);
	});

	it.each([`${now}abc`, ` ${now}`, `${now}.0`])(
		'rejects the timestamp %j, which svix reads leniently with parseInt',
		(timestampText) => {
			const payload = '{"id":"evt_1"}';
			const headers = {
				'svix-id': 'msg_1',
				'svix-timestamp': timestampText,
				'svix-signature': sign(secret, 'msg_1', now, payload),
			};
			const testCase = { payload, headers, secret, now, mutation: 'timestamp' };
			expect(svixVerdict(testCase)).toBe(true);
			expect(ours(testCase)).toBe(false);
		},
	);
});
