'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { gzipSync } = require('node:zlib');

const {
	newEventId,
	newMessageId,
	newSecret,
	postDelivery,
	sampleEvent,
	signDelivery,
} = require('../../scripts/lib/signing');
const {
	CREDENTIAL_TYPE,
	TRIGGER_NAME,
	loadExample,
	nodeOutput,
	pivotalWorkflow,
	triggerOutput,
	webhookUrls,
} = require('../../scripts/lib/workflows');
const { sleep } = require('../../scripts/lib/util');

const now = () => Math.floor(Date.now() / 1000);

/** The signed body with one amount changed, as a forger would send it. */
function tamperedBody(signed) {
	const tampered = Buffer.from(signed.body.toString('utf8').replace('4200', '4201'), 'utf8');
	assert.notDeepEqual(tampered, signed.body, 'precondition: the body was changed');
	return tampered;
}

function assertAnswer(response, status, bodyStatus, what = 'delivery') {
	assert.equal(
		response.status,
		status,
		`${what}: expected HTTP ${status}, got ${response.status} ${response.text.slice(0, 300)}`,
	);
	assert.equal(response.json?.status, bodyStatus, `${what}: body ${response.text.slice(0, 300)}`);
}

function sample(list, max = 8) {
	return list.length > max ? `${list.slice(0, max).join(', ')}, …` : list.join(', ');
}

function assertExecutions(executions, count, what) {
	const ids = executions.map((execution) => triggerOutput(execution)?.id ?? '(no trigger output)');
	assert.equal(
		executions.length,
		count,
		`${what}: expected ${count} new execution(s), found ${executions.length} [${sample(ids)}]`,
	);
}

/** The one new execution carries exactly the event that was sent and ran the whole workflow. */
function assertCarries(execution, event, mode = 'webhook') {
	assert.equal(execution.mode, mode, 'execution mode');
	assert.equal(execution.status, 'success', `execution ${execution.id} status`);
	assert.deepEqual(triggerOutput(execution), event, 'the trigger output is the envelope');
	assert.ok(execution.data.resultData.runData['Show Event'], 'the node after the trigger ran');
}

function countBy(responses) {
	const counts = {};
	for (const response of responses) {
		const key = `${response.status} ${response.json?.status ?? response.text.slice(0, 60)}`;
		counts[key] = (counts[key] ?? 0) + 1;
	}
	return counts;
}

/** @type {Array<{ name: string, run: (ctx: import('./context').E2eContext) => Promise<void> }>} */
const scenarios = [
	{
		name: 'a valid delivery starts exactly one execution carrying the envelope',
		async run(ctx) {
			const event = sampleEvent();
			const { result, executions } = await ctx.observe(ctx.main, () => ctx.send(event), {
				atLeast: 1,
			});
			assertAnswer(result, 200, 'accepted');
			assertExecutions(executions, 1, 'valid delivery');
			assertCarries(executions[0], event);
			ctx.acceptedIds.push(event.id);
		},
	},
	{
		name: 'a body whose bytes differ from its re-serialised form is accepted',
		async run(ctx) {
			const id = newEventId();
			// Spacing, a trailing zero, raw UTF-8 and \u escapes: all lost by JSON.stringify(JSON.parse()).
			const raw =
				`{ "id" : "${id}",\n  "type":"invoice.paid" , "data": { "object" : ` +
				'{ "amount" : 1.50, "name": "Zoë ☃ 🧾", "note": "\\u00e9t\\u00e9" } } }';
			const bytes = Buffer.from(raw, 'utf8');
			assert.notDeepEqual(
				Buffer.from(JSON.stringify(JSON.parse(raw))),
				bytes,
				'precondition: the body is not in canonical form',
			);
			const { result, executions } = await ctx.observe(ctx.main, () => ctx.send(bytes), {
				atLeast: 1,
			});
			assertAnswer(result, 200, 'accepted');
			assertExecutions(executions, 1, 'non-canonical body');
			assertCarries(executions[0], JSON.parse(raw));
			const object = triggerOutput(executions[0]).data.object;
			assert.equal(object.amount, 1.5);
			assert.equal(object.name, 'Zoë ☃ 🧾');
			assert.equal(object.note, 'été');
			ctx.acceptedIds.push(id);
		},
	},
	{
		name: 'a tampered body is rejected with 401 and starts nothing',
		async run(ctx) {
			const event = sampleEvent();
			const signed = signDelivery(event, { secret: ctx.secret });
			const tampered = tamperedBody(signed);
			const { result, executions } = await ctx.observe(ctx.main, () =>
				postDelivery(ctx.main.urls.production, { ...signed, body: tampered }),
			);
			assertAnswer(result, 401, 'rejected');
			assertExecutions(executions, 0, 'tampered body');
		},
	},
	{
		name: 'a delivery signed with another secret is rejected with 401',
		async run(ctx) {
			const { result, executions } = await ctx.observe(ctx.main, () =>
				ctx.send(sampleEvent(), { secret: newSecret() }),
			);
			assertAnswer(result, 401, 'rejected');
			assertExecutions(executions, 0, 'wrong secret');
		},
	},
	{
		name: 'stale and future timestamps are rejected; one inside the tolerance is accepted',
		async run(ctx) {
			const inside = sampleEvent();
			const { result, executions } = await ctx.observe(
				ctx.main,
				async () => ({
					stale: await ctx.send(sampleEvent(), { timestampSeconds: now() - 600 }),
					future: await ctx.send(sampleEvent(), { timestampSeconds: now() + 600 }),
					inside: await ctx.send(inside, { timestampSeconds: now() - 240 }),
				}),
				{ atLeast: 1 },
			);
			assertAnswer(result.stale, 401, 'rejected', 'signed 600 s ago');
			assertAnswer(result.future, 401, 'rejected', 'signed 600 s ahead');
			assertAnswer(result.inside, 200, 'accepted', 'signed 240 s ago');
			assertExecutions(executions, 1, 'timestamps');
			assertCarries(executions[0], inside);
			ctx.acceptedIds.push(inside.id);
		},
	},
	{
		name: 'deliveries missing any signature header are rejected with 401',
		async run(ctx) {
			const { result, executions } = await ctx.observe(ctx.main, async () => {
				const answers = {};
				for (const missing of ['all', 'svix-id', 'svix-timestamp', 'svix-signature']) {
					const signed = signDelivery(sampleEvent(), { secret: ctx.secret });
					const headers =
						missing === 'all'
							? {}
							: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== missing));
					answers[missing] = await postDelivery(ctx.main.urls.production, { ...signed, headers });
				}
				return answers;
			});
			for (const [missing, answer] of Object.entries(result)) {
				assertAnswer(answer, 401, 'rejected', `without ${missing} header(s)`);
			}
			assertExecutions(executions, 0, 'missing headers');
		},
	},
	{
		name: 'a signed body that is not a JSON object gets 400 and starts nothing',
		async run(ctx) {
			const { result, executions } = await ctx.observe(ctx.main, async () => [
				await ctx.send('[{"id":"evt_array","type":"invoice.paid"}]'),
				await ctx.send('"invoice.paid"'),
			]);
			for (const answer of result) assertAnswer(answer, 400, 'invalid', 'non-object body');
			assertExecutions(executions, 0, 'non-object bodies');
		},
	},
	{
		name: 'Standard Webhooks header names (webhook-id, -timestamp, -signature) are accepted',
		async run(ctx) {
			const event = sampleEvent();
			const { result, executions } = await ctx.observe(
				ctx.main,
				() => ctx.send(event, { headerSet: 'webhook' }),
				{ atLeast: 1 },
			);
			assertAnswer(result, 200, 'accepted');
			assertExecutions(executions, 1, 'webhook-* headers');
			assertCarries(executions[0], event);
			ctx.acceptedIds.push(event.id);
		},
	},
	{
		name: 'deliveries sent as application/octet-stream or gzip-compressed are verified over their bytes',
		async run(ctx) {
			// n8n pre-reads no raw body for octet-stream and decompresses gzip before the node
			// sees it: both must still verify against what the sender signed.
			const [asBytes, compressed] = [sampleEvent(), sampleEvent()];
			const url = ctx.main.urls.production;
			const { result, executions } = await ctx.observe(
				ctx.main,
				async () => {
					const octet = signDelivery(asBytes, { secret: ctx.secret });
					const zipped = signDelivery(compressed, { secret: ctx.secret });
					return {
						octet: await postDelivery(url, {
							body: octet.body,
							headers: { ...octet.headers, 'content-type': 'application/octet-stream' },
						}),
						gzip: await postDelivery(url, {
							body: gzipSync(zipped.body),
							headers: { ...zipped.headers, 'content-encoding': 'gzip' },
						}),
					};
				},
				{ atLeast: 2 },
			);
			assertAnswer(result.octet, 200, 'accepted', 'application/octet-stream');
			assertAnswer(result.gzip, 200, 'accepted', 'gzip-compressed');
			assertExecutions(executions, 2, 'octet-stream and gzip deliveries');
			ctx.acceptedIds.push(asBytes.id, compressed.id);
		},
	},
	{
		name: 'the credential test passes a well-formed secret and explains a malformed one',
		async run(ctx) {
			const { id } = ctx.credential;
			const test = (data) => ctx.client.testCredential({ id, type: CREDENTIAL_TYPE, data });
			assert.deepEqual(await test({ signingSecret: newSecret() }), {
				status: 'OK',
				message: 'The signing secret is well-formed',
			});
			const short = await test({ signingSecret: 'whsec_c2hvcnQ=' });
			assert.equal(short.status, 'Error', 'a 5-byte secret');
			assert.match(short.message, /decodes to 5 bytes.*24 to 64 bytes/, 'what the user reads');
			const previous = await test({ signingSecret: newSecret(), previousSigningSecret: 'oops!' });
			assert.equal(previous.status, 'Error', 'a malformed previous secret');
			assert.match(previous.message, /^Previous Signing Secret: /, 'names the field');
		},
	},
	{
		name: 'activating with a malformed secret fails with a message that says what to do',
		async run(ctx) {
			const broken = await ctx.client.createCredential({
				name: 'Pivotal (cut short)',
				type: CREDENTIAL_TYPE,
				data: { signingSecret: 'whsec_c2hvcnQ=' },
			});
			const created = await ctx.client.createWorkflow(
				pivotalWorkflow({ name: 'Pivotal e2e: broken secret', credential: broken, events: '*' }),
			);
			// 1.x refuses the activation with the node's error. 2.x answers the activation call
			// with success, logs the node's error and registers no webhook. Either way the reason
			// is written where the user looks, and no delivery gets in.
			const reason = /decodes to 5 bytes.*copy the whole secret again/;
			const refusal = await ctx.client.activateWorkflow(created.id).then(
				() => undefined,
				(error) => error.message,
			);
			if (ctx.runtime.major === 1) {
				assert.match(String(refusal), reason, 'the activation error');
			} else {
				const logged = async () => {
					const started = Date.now();
					for (let attempt = 0; attempt < 120; attempt++) {
						const log = fs.readFileSync(ctx.instance.logFile, 'utf8');
						if (reason.test(log)) {
							ctx.log(`the reason reached n8n's log ${Date.now() - started} ms after activation`);
							return log;
						}
						await sleep(250);
					}
					return 'the reason never reached the log';
				};
				assert.match(await logged(), reason, "n8n's log");
			}
			const url = webhookUrls(ctx.instance.baseUrl, created.nodes[0].webhookId).production;
			const delivery = await postDelivery(url, signDelivery(sampleEvent(), { secret: ctx.secret }));
			assert.equal(delivery.status, 404, 'no webhook is registered for it');
		},
	},
	{
		name: 'a delivery signed with the previous secret is accepted during a rotation',
		async run(ctx) {
			const event = sampleEvent();
			const { result, executions } = await ctx.observe(
				ctx.main,
				() => ctx.send(event, { secret: ctx.previousSecret }),
				{ atLeast: 1 },
			);
			assertAnswer(result, 200, 'accepted');
			assertExecutions(executions, 1, 'previous secret');
			assertCarries(executions[0], event);
			ctx.acceptedIds.push(event.id);
		},
	},
	{
		name: 'a sequential duplicate is acknowledged as duplicate and starts nothing more',
		async run(ctx) {
			const event = sampleEvent();
			const messageId = newMessageId();
			const { result, executions } = await ctx.observe(
				ctx.main,
				async () => ({
					first: await ctx.send(event, { messageId }),
					// A retry: same message, signed again later.
					retry: await ctx.send(event, { messageId, timestampSeconds: now() + 1 }),
					// The same event in another message (e.g. resent from the dashboard).
					resent: await ctx.send(event),
				}),
				{ atLeast: 1 },
			);
			assertAnswer(result.first, 200, 'accepted', 'first delivery');
			assertAnswer(result.retry, 200, 'duplicate', 'retry of the same message');
			assertAnswer(result.resent, 200, 'duplicate', 'same event id, new message');
			assertExecutions(executions, 1, 'sequential duplicates');
			assertCarries(executions[0], event);
			ctx.acceptedIds.push(event.id);
		},
	},
	{
		name: 'a workflow saved with trigger version 1 still verifies, runs and deduplicates',
		async run(ctx) {
			const flow = await ctx.addWorkflow(
				'Pivotal e2e: trigger version 1',
				'*',
				{},
				{ typeVersion: 1 },
			);
			const url = flow.urls.production;
			const event = sampleEvent();
			const signed = signDelivery(event, { secret: ctx.secret });
			const tampered = tamperedBody(signed);
			const { result, executions } = await ctx.observe(
				flow,
				async () => ({
					forged: await postDelivery(url, { ...signed, body: tampered }),
					first: await ctx.send(event, { url }),
					again: await ctx.send(event, { url }),
				}),
				{ atLeast: 1 },
			);
			assertAnswer(result.forged, 401, 'rejected', 'tampered body');
			assertAnswer(result.first, 200, 'accepted', 'first delivery');
			assertAnswer(result.again, 200, 'duplicate', 'same event again');
			assertExecutions(executions, 1, 'version 1 workflow');
			assertCarries(executions[0], event);
		},
	},
	{
		name: '20 parallel copies of one new event start exactly one execution',
		async run(ctx) {
			const event = sampleEvent();
			const signed = signDelivery(event, { secret: ctx.secret });
			const { result, executions } = await ctx.observe(
				ctx.main,
				() =>
					Promise.all(
						Array.from({ length: 20 }, () => postDelivery(ctx.main.urls.production, signed)),
					),
				{ atLeast: 1 },
			);
			// A copy that arrives while the first is still being started is told to retry (409).
			const counts = countBy(result);
			assert.equal(counts['200 accepted'], 1, `answers: ${JSON.stringify(counts)}`);
			const others = (counts['200 duplicate'] ?? 0) + (counts['409 in-progress'] ?? 0);
			assert.equal(others, 19, `answers: ${JSON.stringify(counts)}`);
			assertExecutions(executions, 1, '20 parallel copies');
			const retried = await postDelivery(ctx.main.urls.production, signed);
			assertAnswer(retried, 200, 'duplicate', 'a copy once the first one ran');
			assertCarries(executions[0], event);
			ctx.acceptedIds.push(event.id);
		},
	},
	{
		name: '30 parallel distinct events start 30 executions; resending all 30 starts none',
		async run(ctx) {
			const events = Array.from({ length: 30 }, () => sampleEvent());
			const sendAll = () => Promise.all(events.map((event) => ctx.send(event)));
			const first = await ctx.observe(ctx.main, sendAll, { atLeast: 30 });
			assert.deepEqual(countBy(first.result), { '200 accepted': 30 }, 'answers to 30 new events');
			assertExecutions(first.executions, 30, '30 parallel distinct events');
			const started = new Set(first.executions.map((execution) => triggerOutput(execution)?.id));
			const missing = events.map((event) => event.id).filter((id) => !started.has(id));
			assert.equal(missing.length, 0, `events without an execution: ${sample(missing)}`);
			ctx.acceptedIds.push(...events.map((event) => event.id));

			const again = await ctx.observe(ctx.main, sendAll);
			assert.deepEqual(countBy(again.result), { '200 duplicate': 30 }, 'answers to the resend');
			assertExecutions(again.executions, 0, 'resent 30 events');
		},
	},
	{
		name: 'the events filter (invoice.*) ignores customer.created and runs invoice.paid',
		async run(ctx) {
			const url = ctx.invoices.urls.production;
			const customer = sampleEvent({ type: 'customer.created' });
			const ignored = await ctx.observe(ctx.invoices, () => ctx.send(customer, { url }));
			assertAnswer(ignored.result, 200, 'ignored', 'customer.created');
			assertExecutions(ignored.executions, 0, 'customer.created');

			const invoice = sampleEvent({ type: 'invoice.paid' });
			const ran = await ctx.observe(ctx.invoices, () => ctx.send(invoice, { url }), {
				atLeast: 1,
			});
			assertAnswer(ran.result, 200, 'accepted', 'invoice.paid');
			assertExecutions(ran.executions, 1, 'invoice.paid');
			assertCarries(ran.executions[0], invoice);
		},
	},
	{
		name: 'example invoice-paid-to-slack: imported with Slack disabled, invoice.paid writes the message',
		async run(ctx) {
			const example = await ctx.importExample('invoice-paid-to-slack', {
				disable: ['Post to #billing'],
			});
			const url = example.urls.production;
			const object = { id: 'inv_e2e1', status: 'paid', amount: 4250, currency: 'eur' };
			const invoice = sampleEvent({ type: 'invoice.paid', object });
			const { result, executions } = await ctx.observe(example, () => ctx.send(invoice, { url }), {
				atLeast: 1,
			});
			assertAnswer(result, 200, 'accepted', 'invoice.paid');
			assertExecutions(executions, 1, 'invoice.paid');
			const [execution] = executions;
			assert.equal(execution.status, 'success', `execution ${execution.id} status`);
			assert.deepEqual(triggerOutput(execution), invoice, 'the trigger output is the envelope');
			assert.deepEqual(nodeOutput(execution, 'Write the Message'), {
				text: 'Invoice inv_e2e1 was paid: 42.50 EUR',
			});
			// A disabled node passes its input on: the message reached the Slack node's place.
			assert.deepEqual(nodeOutput(execution, 'Post to #billing'), {
				text: 'Invoice inv_e2e1 was paid: 42.50 EUR',
			});

			const other = await ctx.observe(example, () =>
				ctx.send(sampleEvent({ type: 'invoice.created' }), { url }),
			);
			assertAnswer(other.result, 200, 'ignored', 'invoice.created');
			assertExecutions(other.executions, 0, 'invoice.created');
		},
	},
	{
		name: 'example mirror-customers-to-data-table: created then updated is one row in a real data table',
		async run(ctx) {
			// The table the example's README has the user create, with the columns its Set node writes.
			const [assignments] = loadExample('mirror-customers-to-data-table')
				.nodes.filter((node) => node.name === 'Customer Row')
				.map((node) => node.parameters.assignments.assignments);
			const columns = assignments.map(({ name, type }) => ({ name, type }));
			const project = await ctx.client.personalProject();
			const table = await ctx.client.createDataTable(project.id, {
				name: `Pivotal customers ${Date.now()}`,
				columns,
			});
			const example = await ctx.importExample('mirror-customers-to-data-table', {
				parameters: {
					'Upsert Into Pivotal Customers': {
						dataTableId: { __rl: true, mode: 'id', value: table.id },
					},
				},
			});
			const url = example.urls.production;
			const customer = { id: 'cus_e2e1', email: 'ada@example.com', name: 'Ada' };
			const created = sampleEvent({ type: 'customer.created', object: customer });
			const updated = sampleEvent({
				type: 'customer.updated',
				object: { ...customer, name: 'Ada Lovelace' },
			});
			for (const event of [created, updated]) {
				const { result, executions } = await ctx.observe(example, () => ctx.send(event, { url }), {
					atLeast: 1,
				});
				assertAnswer(result, 200, 'accepted', event.type);
				assertExecutions(executions, 1, event.type);
				assert.equal(executions[0].status, 'success', `${event.type}: execution status`);
			}

			const rows = await ctx.client.dataTableRows(project.id, table.id);
			assert.equal(rows.count, 1, `rows: ${JSON.stringify(rows.data)}`);
			assert.deepEqual(
				Object.fromEntries(columns.map(({ name }) => [name, rows.data[0][name]])),
				{
					customer_id: 'cus_e2e1',
					email: 'ada@example.com',
					name: 'Ada Lovelace',
					deleted: false,
					last_event_id: updated.id,
					last_event_type: 'customer.updated',
				},
				'the row holds the latest state',
			);
		},
	},
	{
		name: 'a test-URL run ("Listen for test event") gets a signed event, without dedupe',
		async run(ctx) {
			const url = ctx.main.urls.test;
			const unregistered = await ctx.send(sampleEvent(), { url });
			assert.equal(unregistered.status, 404, 'the test URL is closed before listening');

			const listening = await ctx.client.listenForTestEvent(ctx.main.id, TRIGGER_NAME);
			assert.equal(listening.waitingForWebhook, true, `run answered ${JSON.stringify(listening)}`);
			// An id production already processed: test runs must not be deduplicated.
			const event = sampleEvent({ id: ctx.acceptedIds[0] });
			const { result, executions } = await ctx.observe(ctx.main, () => ctx.send(event, { url }), {
				atLeast: 1,
			});
			assertAnswer(result, 200, 'accepted', 'test-URL delivery');
			assertExecutions(executions, 1, 'test-URL run');
			assertCarries(executions[0], event, 'manual');
		},
	},
	{
		name: 'after an n8n restart on the same user folder, earlier ids are still deduplicated',
		async run(ctx) {
			assert.ok(ctx.acceptedIds.length >= 30, 'earlier scenarios accepted events to resend');
			const started = Date.now();
			await ctx.restart();
			ctx.log(`${ctx.label} restarted in ${Date.now() - started} ms`);

			const { result, executions } = await ctx.observe(ctx.main, () =>
				Promise.all(ctx.acceptedIds.map((id) => ctx.send(sampleEvent({ id })))),
			);
			const notDuplicate = ctx.acceptedIds.filter(
				(id, i) => result[i].json?.status !== 'duplicate',
			);
			assert.equal(
				notDuplicate.length,
				0,
				`${notDuplicate.length} of ${ctx.acceptedIds.length} earlier ids were not deduplicated ` +
					`after the restart (${JSON.stringify(countBy(result))}): ${sample(notDuplicate)}`,
			);
			assertExecutions(executions, 0, 'earlier ids after restart');

			const fresh = sampleEvent();
			const after = await ctx.observe(ctx.main, () => ctx.send(fresh), { atLeast: 1 });
			assertAnswer(after.result, 200, 'accepted', 'a new event after the restart');
			assertExecutions(after.executions, 1, 'new event after restart');
			assertCarries(after.executions[0], fresh);
		},
	},
	{
		name: '100 parallel new events, then one more: after a restart all 101 are still deduplicated',
		async run(ctx) {
			// Runs on the process the previous scenario restarted. n8n saves each request's static
			// data after the request, in whatever order the saves finish; the trigger hands every
			// request one always-current state, and the next delivery rewrites whatever a late save
			// left out. That next delivery is what makes the guarantee, so it is part of the check.
			const events = Array.from({ length: 100 }, () => sampleEvent());
			const sendAll = (batch) => Promise.all(batch.map((event) => ctx.send(event)));
			const burst = await ctx.observe(ctx.main, () => sendAll(events), { atLeast: 100 });
			assert.deepEqual(countBy(burst.result), { '200 accepted': 100 }, 'answers to the burst');
			assertExecutions(burst.executions, 100, '100 parallel new events');
			const ids = events.map((event) => event.id);
			const afterBurst = await ctx.storedIds(ctx.main, ids);
			ctx.log(`static data held ${afterBurst.held.length}/100 ids of the burst right after it`);

			const next = sampleEvent();
			const followUp = await ctx.observe(ctx.main, () => sendAll([next]), { atLeast: 1 });
			assertExecutions(followUp.executions, 1, 'the delivery after the burst');
			const afterNext = await ctx.storedIds(ctx.main, [...ids, next.id]);
			assert.equal(afterNext.held.length, 101, 'ids in static data after the next delivery');

			const started = Date.now();
			await ctx.restart();
			ctx.log(`${ctx.label} restarted in ${Date.now() - started} ms`);
			const all = [...events, next];
			const again = await ctx.observe(ctx.main, () => sendAll(all));
			const notDuplicate = all.filter((_, i) => again.result[i].json?.status !== 'duplicate');
			assert.equal(
				notDuplicate.length,
				0,
				`${notDuplicate.length} of 101 ids were not deduplicated after the restart ` +
					`(${JSON.stringify(countBy(again.result))}): ` +
					sample(notDuplicate.map((event) => event.id)),
			);
			assertExecutions(again.executions, 0, 'all 101 resent after restart');
		},
	},
];

module.exports = { countBy, sample, scenarios };
