import type { IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';

import type { LogLine } from '../nodes/Pivotal/delivery/outcome';
import { FORWARDED_HEADER } from '../nodes/Pivotal/delivery/eventOwner';
import { passOn } from '../nodes/Pivotal/n8n/passOn';

const OWNER = 'http://10.0.0.2:5678';
const SELF = 'http://10.0.0.1:5678';

function delivery() {
	return {
		rawBody: Buffer.from('{"id":"evt_1","type":"invoice.paid"}'),
		headers: {
			'svix-id': 'msg_1',
			'svix-timestamp': '1780000000',
			'svix-signature': 'v1,abc',
			cookie: 'session=secret',
			authorization: 'Bearer secret',
		},
		from: SELF,
	};
}

/** A webhook context whose only helper answers like the owner (or fails like the network). */
function context(answer: () => Promise<unknown>) {
	const sent: IHttpRequestOptions[] = [];
	const fake = {
		helpers: {
			httpRequest: async (options: IHttpRequestOptions) => {
				sent.push(options);
				return await answer();
			},
		},
	} as unknown as IWebhookFunctions;
	return { fake, sent };
}

describe('passOn', () => {
	it("relays the owner's answer and sends it the bytes and signature headers only", async () => {
		const { fake, sent } = context(async () => ({
			statusCode: 200,
			body: { status: 'duplicate' },
		}));
		const log: LogLine[] = [];
		const answer = await passOn(fake, OWNER, delivery(), '/webhook/abc/webhook', (lines) =>
			log.push(...lines),
		);
		expect(answer).toEqual({ httpStatus: 200, body: { status: 'duplicate' } });
		expect(sent).toHaveLength(1);
		expect(sent[0].url).toBe(`${OWNER}/webhook/abc/webhook`);
		expect(sent[0].body).toEqual(delivery().rawBody);
		expect(sent[0].headers).toEqual({
			'content-type': 'application/octet-stream',
			'svix-id': 'msg_1',
			'svix-timestamp': '1780000000',
			'svix-signature': 'v1,abc',
			[FORWARDED_HEADER]: SELF,
		});
		expect(log).toEqual([]);
	});

	it("gives up on an answer that is not this node's, as from whatever now holds the address", async () => {
		const { fake } = context(async () => ({ statusCode: 200, body: '<html>ok</html>' }));
		const log: LogLine[] = [];
		const answer = await passOn(fake, OWNER, delivery(), '/webhook/abc/webhook', (lines) =>
			log.push(...lines),
		);
		expect(answer).toBeUndefined();
		expect(log).toEqual([
			{ level: 'warn', message: expect.stringContaining('handling the delivery here') },
		]);
	});

	it('asks the sender to retry when the owner took the delivery but did not answer in time', async () => {
		const { fake } = context(async () => {
			throw Object.assign(new Error('timeout of 6000ms exceeded'), { code: 'ECONNABORTED' });
		});
		const log: LogLine[] = [];
		const answer = await passOn(fake, OWNER, delivery(), '/webhook/abc/webhook', (lines) =>
			log.push(...lines),
		);
		expect(answer).toEqual({
			httpStatus: 503,
			body: { status: 'busy', message: expect.stringContaining('retry') },
		});
		expect(log).toEqual([{ level: 'warn', message: expect.stringContaining('retry') }]);
	});

	it('hands the delivery back when it never reached the owner', async () => {
		const { fake } = context(async () => {
			throw new Error('connect ECONNREFUSED 10.0.0.2:5678');
		});
		const log: LogLine[] = [];
		const answer = await passOn(fake, OWNER, delivery(), '/webhook/abc/webhook', (lines) =>
			log.push(...lines),
		);
		expect(answer).toBeUndefined();
		expect(log).toEqual([{ level: 'warn', message: expect.stringContaining('ECONNREFUSED') }]);
	});

	it.each([
		[
			'a certificate that does not match the address',
			Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
				code: 'ERR_TLS_CERT_ALTNAME_INVALID',
			}),
		],
		[
			'a request n8n blocks before sending it',
			new Error('Request to 10.0.0.2 is blocked by SSRF protection'),
		],
		[
			'an error of a kind it does not know',
			Object.assign(new Error('unexpected'), { code: 'E_NEW' }),
		],
	])('hands the delivery back, naming the cause, after %s', async (_what, error) => {
		const { fake } = context(async () => {
			throw error;
		});
		const log: LogLine[] = [];
		const answer = await passOn(fake, OWNER, delivery(), '/webhook/abc/webhook', (lines) =>
			log.push(...lines),
		);
		expect(answer).toBeUndefined();
		expect(log).toEqual([
			{ level: 'warn', message: expect.stringContaining(`(${error.message}): handling it here`) },
		]);
	});
});
