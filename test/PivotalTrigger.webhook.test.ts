import type { IHookFunctions } from 'n8n-workflow';

import { ownerOf } from '../nodes/Pivotal/delivery/eventOwner';
import { DedupeLedger } from '../nodes/Pivotal/stores/dedupeLedger';
import { fingerprint } from '../nodes/Pivotal/stores/fingerprint';
import { storeKey } from '../nodes/Pivotal/n8n/nodeStores';
import * as signature from '../nodes/Pivotal/protocol/signature';
import { PivotalTrigger } from '../nodes/Pivotal/PivotalTrigger.node';
import { SAVE_MESSAGE } from '../nodes/Pivotal/protocol/saveMessage';
import { newSecret, sampleEvent, signDelivery } from './helpers/signing';
import {
	logged,
	newInstance,
	selfAddress,
	selfRequestsServed,
	serve,
	type Instance,
} from './helpers/webhookContext';

function delivery(
	instance: Instance,
	event: object | string,
	extra: { messageId?: string; secret?: string } = {},
) {
	const body = typeof event === 'string' ? event : JSON.stringify(event);
	return signDelivery(body, {
		secret: extra.secret ?? (instance.credentials.signingSecret as string),
		messageId: extra.messageId,
	});
}

function statusOf(response: { body?: unknown }) {
	return (response.body as { status?: string } | undefined)?.status;
}

function executions(result: { workflowData?: unknown[][] }) {
	return result.workflowData ? result.workflowData[0].length : 0;
}

/**
 * Resends events to a restarted n8n: a fresh copy of the package's modules, as a new process has,
 * so only what reached the "database" counts. Returns each answer's status.
 */
async function answersAfterRestart(instance: Instance, events: object[]) {
	await selfRequestsServed();
	jest.resetModules();
	const restarted = (await import(
		'./helpers/webhookContext'
	)) as typeof import('./helpers/webhookContext');
	const answers = await Promise.all(
		events.map((event) => restarted.serve(instance, delivery(instance, event))),
	);
	return answers.map(({ response }) => (response.body as { status: string }).status);
}

// Deliveries here make real round trips: the node's save requests come back over loopback.
jest.setTimeout(30_000);

beforeEach(() => {
	logged.length = 0;
});

describe("PivotalTrigger.webhook() in n8n-core's WebhookContext", () => {
	it('starts one execution carrying the envelope as sent, answered 200 once it exists', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = { ...sampleEvent(), livemode: false, api_version: '2026-01-01' };
		const { result, response, output } = await serve(instance, delivery(instance, event));
		expect(response).toEqual({ statusCode: 200, body: { status: 'accepted' } });
		// n8n answers, after creating the execution; the node only puts its own body in place.
		expect(result.noWebhookResponse).toBeUndefined();
		expect(output).toEqual([{ json: event }]);
	});

	it('leaves the id free when n8n stops before the execution exists, so the retry runs', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		const stopped = await serve(instance, delivery(instance, event), 'webhook', 'now', 'stopped');
		expect(stopped.response).toEqual({});
		expect(await answersAfterRestart(instance, [event])).toEqual(['accepted']);
	});

	it('on n8n 1.x, which answers before it writes the execution, holds the 200 until the run starts', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		const served = await serve(
			instance,
			delivery(instance, event),
			'webhook',
			'now',
			'succeeds',
			1,
		);
		expect(served.answeredBeforeRun).toBe(false);
		expect(served.response).toEqual({ statusCode: 200, body: { status: 'accepted' } });
		expect(served.output).toEqual([{ json: event }]);
		expect(await answersAfterRestart(instance, [event])).toEqual(['duplicate']);
	});

	it("records a new store's first id through the save request, later ids in the run's own static data", async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const [first, second] = [sampleEvent(), sampleEvent()];
		await serve(instance, delivery(instance, first));
		// The run cannot tell an absent store from one its copy lacks, so it leaves the first save
		// to the node's request to itself, which reads the database.
		await selfRequestsServed();
		expect(JSON.stringify(instance.database.staticData)).toContain(fingerprint(first.id));
		await serve(instance, delivery(instance, second));
		const stored = JSON.stringify(instance.database.staticData);
		expect(stored).toContain(fingerprint(second.id));
		expect(stored).not.toContain('__pivotalTrigger');
	});

	it('reads the raw body when n8n has not pre-read it (e.g. application/octet-stream)', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const signed = delivery(instance, sampleEvent());
		const { response, result } = await serve(instance, { ...signed, bodyPreRead: false });
		expect(response.statusCode).toBe(200);
		expect(executions(result)).toBe(1);
	});

	it('answers 400 and records nothing when the body cannot be read', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const signed = delivery(instance, sampleEvent());
		const { response, result } = await serve(instance, {
			...signed,
			bodyPreRead: false,
			bodyUnreadable: true,
		});
		expect(response).toEqual({
			statusCode: 400,
			body: { status: 'invalid', message: 'Body could not be read' },
		});
		expect(result).toEqual({ noWebhookResponse: true });
		expect(instance.database.staticData).toEqual({});
	});

	it('accepts a body whose bytes differ from its re-stringified form', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const body =
			'{ "id" : "evt_ws", "type":"invoice.paid", "data":{"object":{"amount":1.50,"name":"Zoë 😀"}} }';
		const { response, output } = await serve(instance, delivery(instance, body));
		expect(response.statusCode).toBe(200);
		expect(output?.[0].json).toEqual(JSON.parse(body));
	});

	it('rejects a body re-stringified by a proxy with 401, no execution and nothing stored', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const body = '{"id":"evt_proxy", "type":"invoice.paid","data":{"object":{"amount":1.50}}}';
		const signed = delivery(instance, body);
		const reStringified = Buffer.from(JSON.stringify(JSON.parse(body)));
		const { response, result } = await serve(instance, { ...signed, body: reStringified });
		expect(response).toEqual({
			statusCode: 401,
			body: { status: 'rejected', message: 'Webhook signature verification failed' },
		});
		expect(result).toEqual({ noWebhookResponse: true });
		expect(instance.database.staticData).toEqual({});
		expect(logged).toContainEqual({
			level: 'warn',
			message: expect.stringContaining('no signature matches'),
		});
	});

	it('rejects a forged delivery without leaking the secret or the reason to the sender', async () => {
		const secret = newSecret();
		const instance = newInstance({ signingSecret: secret });
		const forged = delivery(instance, sampleEvent(), { secret: newSecret() });
		const { response } = await serve(instance, forged);
		expect(response.statusCode).toBe(401);
		expect(JSON.stringify(response.body)).not.toMatch(/secret|match/i);
		expect(JSON.stringify(logged)).not.toContain(secret.slice(6));
	});

	it('checks the signature once for a delivery, also one it handles itself after a forward failed', async () => {
		const instance = newInstance(
			{ signingSecret: newSecret() },
			{ events: '*', options: { routeToOneProcess: true } },
		);
		// A peer whose address refuses connections, listed live in the stored state.
		const peer = 'http://127.0.0.1:1';
		const listed = new DedupeLedger('peer');
		listed.locatedAt(peer);
		listed.add('evt_listed', Math.floor(Date.now() / 1000));
		instance.database.staticData = JSON.parse(
			JSON.stringify({ global: { [storeKey('dedupe', instance.nodeId)]: listed.persistent() } }),
		);
		const self = `http://127.0.0.1:${(await selfAddress(instance)).localPort}`;
		const owned = Array.from({ length: 64 }, (_, i) => `evt_peer_${i}`).find(
			(id) => ownerOf(id, self, [peer]) === peer,
		);
		const verify = jest.spyOn(signature, 'verifySignature');
		try {
			const { response, result } = await serve(
				instance,
				delivery(instance, sampleEvent({ id: owned })),
			);
			expect(statusOf(response)).toBe('accepted');
			expect(executions(result)).toBe(1);
			expect(verify).toHaveBeenCalledTimes(1);
			expect(logged).toContainEqual({
				level: 'warn',
				message: expect.stringContaining(`could not pass the delivery on to ${peer}`),
			});
		} finally {
			verify.mockRestore();
		}
	});

	it('runs a signed delivery someone added the old save header to: no header makes it a save', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const signed = delivery(instance, sampleEvent());
		const { response, result } = await serve(instance, {
			...signed,
			headers: { ...signed.headers, 'x-pivotal-trigger-save': '1' },
		});
		expect(statusOf(response)).toBe('accepted');
		expect(executions(result)).toBe(1);
	});

	it('starts nothing for a captured save request sent again without its header: its body makes it a save', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const replayed = delivery(instance, SAVE_MESSAGE.toString('utf8'));
		const { result } = await serve(instance, replayed);
		expect(executions(result)).toBe(0);
		expect(result.webhookResponse).toEqual({ status: 'saved' });
	});

	it('rejects every delivery when the configured secret is malformed, and logs why', async () => {
		const instance = newInstance({ signingSecret: 'whsec_tooshort' });
		const signed = signDelivery(JSON.stringify(sampleEvent()), { secret: newSecret() });
		const { response, result } = await serve(instance, signed);
		expect(response.statusCode).toBe(401);
		expect(executions(result)).toBe(0);
		expect(logged).toContainEqual({
			level: 'error',
			message: expect.stringContaining('Signing Secret: The signing secret'),
		});
	});

	it('accepts a delivery signed with the previous secret during a rotation', async () => {
		const previous = newSecret();
		const instance = newInstance({ signingSecret: newSecret(), previousSigningSecret: previous });
		const { response } = await serve(
			instance,
			delivery(instance, sampleEvent(), { secret: previous }),
		);
		expect(response.statusCode).toBe(200);
	});

	it('answers 400 to a signed body that is not a JSON object, with no execution', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		for (const body of ['[1,2]', 'not json', '"text"', '']) {
			const { response, result } = await serve(instance, delivery(instance, body));
			expect(response).toEqual({
				statusCode: 400,
				body: { status: 'invalid', message: 'Body must be a JSON object' },
			});
			expect(executions(result)).toBe(0);
		}
		expect(instance.database.staticData).toEqual({});
	});

	it('acknowledges a sequential duplicate with 200 and starts nothing', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		const first = await serve(instance, delivery(instance, event));
		const retry = await serve(instance, delivery(instance, event));
		expect(executions(first.result)).toBe(1);
		expect(retry.response).toEqual({ statusCode: 200, body: { status: 'duplicate' } });
		expect(executions(retry.result)).toBe(0);
	});

	it('dedupes by the message id header when the body has no id', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const { type, data } = sampleEvent();
		const withoutId = { type, data };
		const first = await serve(instance, delivery(instance, withoutId, { messageId: 'msg_same' }));
		const retry = await serve(instance, delivery(instance, withoutId, { messageId: 'msg_same' }));
		const other = await serve(instance, delivery(instance, withoutId, { messageId: 'msg_other' }));
		expect([first, retry, other].map(({ result }) => executions(result))).toEqual([1, 0, 1]);
	});

	it('starts exactly one execution for 20 parallel copies of one new id', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		const outcomes = await Promise.all(
			Array.from({ length: 20 }, () => serve(instance, delivery(instance, event))),
		);
		expect(outcomes.reduce((sum, { result }) => sum + executions(result), 0)).toBe(1);
		const answers = outcomes.map(({ response }) => `${response.statusCode} ${statusOf(response)}`);
		expect(answers.filter((answer) => answer === '200 accepted')).toHaveLength(1);
		// A copy that arrives while the first is under way is asked to retry, never dropped.
		for (const answer of answers) {
			expect(['200 accepted', '200 duplicate', '409 in-progress']).toContain(answer);
		}
		const later = await serve(instance, delivery(instance, event));
		expect(statusOf(later.response)).toBe('duplicate');
	});

	it('keeps all of 30 parallel distinct ids in static data, though n8n saves it last-writer-wins', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const events = Array.from({ length: 30 }, () => sampleEvent());
		const outcomes = await Promise.all(
			events.map((event) => serve(instance, delivery(instance, event))),
		);
		expect(outcomes.reduce((sum, { result }) => sum + executions(result), 0)).toBe(30);
		expect(await answersAfterRestart(instance, events)).toEqual(events.map(() => 'duplicate'));
	});

	it("keeps every id of a burst even when n8n's saves land in the reverse order", async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const events = Array.from({ length: 30 }, () => sampleEvent());
		const outcomes = await Promise.all(
			events.map((event) => serve(instance, delivery(instance, event), 'webhook', 'later')),
		);
		for (const { save } of outcomes.reverse()) save();
		expect(await answersAfterRestart(instance, events)).toEqual(events.map(() => 'duplicate'));
	});

	it('still dedupes after a restart and after the node is renamed', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		await serve(instance, delivery(instance, event));
		instance.nodeName = 'Invoices from Pivotal';
		expect(await answersAfterRestart(instance, [event])).toEqual(['duplicate']);
	});

	describe("once the node's state is let go, it reads what it saved (issue: the release defect)", () => {
		const trigger = new PivotalTrigger();
		/** What n8n calls when the workflow is deactivated: also on every save of an active one on n8n 1.x. */
		const deactivate = async (instance: Instance) =>
			await trigger.webhookMethods.default.delete.call({
				getWorkflow: () => ({ id: instance.workflowId }),
				getNode: () => ({ id: instance.nodeId, name: instance.nodeName }),
			} as unknown as IHookFunctions);

		afterEach(() => jest.restoreAllMocks());

		it('deactivated and activated again, an earlier event is a duplicate and the store keeps it', async () => {
			const instance = newInstance({ signingSecret: newSecret() });
			const [first, second] = [sampleEvent(), sampleEvent()];
			await serve(instance, delivery(instance, first));
			await serve(instance, delivery(instance, second));
			await selfRequestsServed();
			await deactivate(instance);
			const retry = await serve(instance, delivery(instance, first));
			expect(retry.response.body).toEqual({ status: 'duplicate' });
			const third = sampleEvent();
			await serve(instance, delivery(instance, third));
			const stored = JSON.stringify(instance.database.staticData);
			for (const event of [first, second, third]) expect(stored).toContain(fingerprint(event.id));
		});

		it('renamed, saved and activated (the node id kept), an earlier event is a duplicate', async () => {
			const instance = newInstance({ signingSecret: newSecret() });
			const event = sampleEvent();
			await serve(instance, delivery(instance, event));
			await selfRequestsServed();
			await deactivate(instance);
			instance.nodeName = 'Invoices from Pivotal';
			const retry = await serve(instance, delivery(instance, event));
			expect(retry.response.body).toEqual({ status: 'duplicate' });
		});

		it('after an hour without a request (an injected clock), an earlier event is a duplicate', async () => {
			const instance = newInstance({ signingSecret: newSecret() });
			const event = sampleEvent();
			await serve(instance, delivery(instance, event));
			await selfRequestsServed();
			// Signatures, the node and the store all read Date.now(): an hour and a minute later.
			const later = Date.now() + (3600 + 61) * 1000;
			jest.spyOn(Date, 'now').mockReturnValue(later);
			const other = newInstance({ signingSecret: newSecret() });
			await serve(other, delivery(other, sampleEvent()));
			const retry = await serve(instance, delivery(instance, event));
			expect(retry.response.body).toEqual({ status: 'duplicate' });
		});

		it('with Skip Out-of-Order Events, an older version after deactivate and activate is stale', async () => {
			const instance = newInstance(
				{ signingSecret: newSecret() },
				{ events: '*', options: { skipStale: true } },
			);
			const about = (updatedAt: string) =>
				sampleEvent({ object: { id: 'cus_9', updated_at: updatedAt } });
			await serve(instance, delivery(instance, about('2026-12-01T10:05:00Z')));
			await selfRequestsServed();
			await deactivate(instance);
			const older = await serve(instance, delivery(instance, about('2026-12-01T10:01:00Z')));
			expect(older.response.body).toEqual({ status: 'stale' });
			expect(executions(older.result)).toBe(0);
		});
	});

	it('ignores an event type outside the events filter with 200 and records nothing', async () => {
		const instance = newInstance({ signingSecret: newSecret() }, { events: 'invoice.*' });
		const ignored = await serve(
			instance,
			delivery(instance, sampleEvent({ type: 'customer.created' })),
		);
		const selected = await serve(
			instance,
			delivery(instance, sampleEvent({ type: 'invoice.voided' })),
		);
		expect(ignored.response).toEqual({ statusCode: 200, body: { status: 'ignored' } });
		expect(executions(ignored.result)).toBe(0);
		expect(executions(selected.result)).toBe(1);
	});

	it('outputs only data.object with delivery metadata when the options say so', async () => {
		const instance = newInstance(
			{ signingSecret: newSecret() },
			{ events: '*', options: { output: 'object', includeDeliveryMetadata: true } },
		);
		const event = sampleEvent();
		const signed = delivery(instance, event, { messageId: 'msg_meta' });
		const { output } = await serve(instance, signed);
		expect(output?.[0].json).toEqual({
			...event.data.object,
			_delivery: {
				messageId: 'msg_meta',
				signedAt: new Date(Number(signed.headers['svix-timestamp']) * 1000).toISOString(),
				receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			},
		});
	});

	it('on a test-URL run delivers every copy and leaves the production store untouched', async () => {
		const instance = newInstance({ signingSecret: newSecret() });
		const event = sampleEvent();
		const first = await serve(instance, delivery(instance, event), 'manual');
		const again = await serve(instance, delivery(instance, event), 'manual');
		expect([executions(first.result), executions(again.result)]).toEqual([1, 1]);
		const production = await serve(instance, delivery(instance, event));
		expect(executions(production.result)).toBe(1);
	});

	it('answers 500 (so Pivotal retries) when the events field is empty', async () => {
		const instance = newInstance({ signingSecret: newSecret() }, { events: ' , ' });
		const { response, result } = await serve(instance, delivery(instance, sampleEvent()));
		expect(response.statusCode).toBe(500);
		expect(executions(result)).toBe(0);
		expect(instance.database.staticData).toEqual({});
		expect(logged).toContainEqual({
			level: 'error',
			message: expect.stringContaining('Events is empty'),
		});
	});

	describe('with Skip Out-of-Order Events', () => {
		const skipStale = (acknowledge = 'onReceipt') =>
			newInstance(
				{ signingSecret: newSecret() },
				{ events: '*', acknowledge, options: { skipStale: true } },
			);
		const about = (updatedAt: string) =>
			sampleEvent({ object: { id: 'cus_1', updated_at: updatedAt } });

		it('answers stale to an older event, starts nothing, and remembers across a restart', async () => {
			const instance = skipStale();
			const [older, newer] = [about('2026-12-01T10:01:00Z'), about('2026-12-01T10:05:00Z')];
			const first = await serve(instance, delivery(instance, newer));
			expect(first.output).toEqual([{ json: newer }]);
			const late = await serve(instance, delivery(instance, older));
			expect(late.response).toEqual({ statusCode: 200, body: { status: 'stale' } });
			expect(executions(late.result)).toBe(0);
			expect(JSON.stringify(instance.database.staticData)).not.toContain('__pivotalTrigger');
			const olderStill = about('2026-12-01T10:00:00Z');
			expect(await answersAfterRestart(instance, [olderStill])).toEqual(['stale']);
		});

		it('moves the version forward only for a run that succeeded, with When the Workflow Succeeds', async () => {
			const instance = skipStale('onSuccess');
			const newer = about('2026-12-01T10:05:00Z');
			await serve(instance, delivery(instance, newer), 'webhook', 'now', 'fails');
			const older = await serve(instance, delivery(instance, about('2026-12-01T10:01:00Z')));
			expect(older.response).toEqual({ statusCode: 200, body: { status: 'accepted' } });
			expect(executions(older.result)).toBe(1);
		});
	});

	describe('with Acknowledge: When the Workflow Succeeds', () => {
		const onSuccess = () =>
			newInstance({ signingSecret: newSecret() }, { events: '*', acknowledge: 'onSuccess' });

		it('answers 500 to a failed run and forgets the id, so the retry runs again', async () => {
			const instance = onSuccess();
			const event = sampleEvent();
			const failed = await serve(instance, delivery(instance, event), 'webhook', 'now', 'fails');
			expect(failed.response).toEqual({
				statusCode: 500,
				body: { status: 'failed', message: 'The workflow run failed; retry later' },
			});
			const retry = await serve(instance, delivery(instance, event));
			expect(retry.response).toEqual({ statusCode: 200, body: { status: 'accepted' } });
			expect(executions(retry.result)).toBe(1);
			const third = await serve(instance, delivery(instance, event));
			expect(third.response).toEqual({ statusCode: 200, body: { status: 'duplicate' } });
			expect(executions(third.result)).toBe(0);
		});

		it('stores a successful id with the next run, never a failed one', async () => {
			const instance = onSuccess();
			const [failed, succeeded, next] = [sampleEvent(), sampleEvent(), sampleEvent()];
			await serve(instance, delivery(instance, failed), 'webhook', 'now', 'fails');
			await serve(instance, delivery(instance, succeeded));
			await serve(instance, delivery(instance, next));
			expect(await answersAfterRestart(instance, [failed, succeeded])).toEqual([
				'accepted',
				'duplicate',
			]);
		});

		it('the success answer carries no workflow data', async () => {
			const instance = onSuccess();
			const { response } = await serve(instance, delivery(instance, sampleEvent()));
			expect(response.body).toEqual({ status: 'accepted' });
		});
	});
});
