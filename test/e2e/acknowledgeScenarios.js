'use strict';

/**
 * When the 2xx goes out, in real n8n: after the execution exists (Acknowledge "When Received"),
 * proven by stopping n8n right after a burst; after a successful run ("When the Workflow
 * Succeeds"), against a workflow whose second node calls a server the suite controls.
 */

const assert = require('node:assert/strict');
const http = require('node:http');

const {
	newMessageId,
	sampleEvent,
	signDelivery,
	postDelivery,
} = require('../../scripts/lib/signing');
const { sleep } = require('../../scripts/lib/util');
const { triggerOutput } = require('../../scripts/lib/workflows');
const { countBy } = require('./scenarios');

const QUIET_MS = Number(process.env.N8N_E2E_QUIET_MS || 1500);
const BURST = 50;
/** How long each "When the Workflow Succeeds" scenario's run takes when the server is slow. */
const SLOW_RUN_MS = 3000;

/** The event an execution was started for: its trigger output, or its input if it never ran. */
function eventIdOf(execution) {
	const stack = execution?.data?.executionData?.nodeExecutionStack?.[0];
	return triggerOutput(execution)?.id ?? stack?.data?.main?.[0]?.[0]?.json?.id;
}

/** Every execution of the workflow per event id, once the list has stopped changing. */
async function executionsPerEvent(ctx, workflow, { atLeast = 0, timeoutMs = 60_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let list = [];
	let stableSince = Date.now();
	for (;;) {
		const now = await ctx.client.listExecutions(workflow.id, { includeData: true });
		if (now.length !== list.length) stableSince = Date.now();
		list = now;
		if ((Date.now() - stableSince >= QUIET_MS && list.length >= atLeast) || Date.now() > deadline) {
			break;
		}
		await sleep(250);
	}
	const perEvent = new Map();
	for (const execution of list) {
		const id = eventIdOf(execution);
		perEvent.set(id, [...(perEvent.get(id) ?? []), execution]);
	}
	return perEvent;
}

/** Sends like Pivotal: a 409 (a copy still under way) or a 5xx is retried after a pause. */
async function sendUntilAnswered(ctx, event, url, { pauseMs = 1000, tries = 30 } = {}) {
	let response;
	for (let attempt = 0; attempt < tries; attempt++) {
		response = await ctx.send(event, { url });
		if (response.status < 300 || response.status === 400 || response.status === 401) break;
		await sleep(pauseMs);
	}
	return response;
}

function statusCounts(perEvent) {
	const counts = {};
	for (const execution of [...perEvent.values()].flat()) {
		counts[execution.status] = (counts[execution.status] ?? 0) + 1;
	}
	return counts;
}

/**
 * A burst of new events, n8n stopped (`crash`: killed) the moment the last 2xx arrived and
 * started again, then every event resent until answered. `lost`: acknowledged events the
 * database held no execution for after the restart; `counts`: executions per event in the end.
 */
async function burstThenStop(ctx, { crash }) {
	const flow = await ctx.addWorkflow(
		`Pivotal e2e: ${crash ? 'kill -9' : 'SIGTERM'} after a burst`,
		'*',
	);
	const url = flow.urls.production;
	const events = Array.from({ length: BURST }, () => sampleEvent());
	const first = await Promise.all(events.map((event) => ctx.send(event, { url })));
	await ctx.restart({ crash, workflows: [flow] });
	// n8n runs the executions it had created but not started when it starts again: wait for them.
	let rows = await ctx.executionRows(flow);
	for (let waited = 0; (rows.new || rows.running) && waited < 30_000; waited += 250) {
		await sleep(250);
		rows = await ctx.executionRows(flow);
	}
	// Before the resend no event has more than one execution, so rows and events match up.
	const held = Object.values(rows).reduce((sum, count) => sum + count, 0);
	const before = await executionsPerEvent(ctx, flow, { atLeast: rows.success ?? 0 });
	// What the database's store holds before any further delivery could add to it.
	const stored = await ctx.storedIds(
		flow,
		events.map((event) => event.id),
	);
	const inStore = stored.held.length;
	const resent = await Promise.all(events.map((event) => sendUntilAnswered(ctx, event, url)));
	const ranAgain = resent.filter((response) => response.json?.status === 'accepted').length;
	const total = await executionsPerEvent(ctx, flow, { atLeast: ranAgain });
	const acknowledged = events.filter((_, index) => first[index].status === 200);
	return {
		first,
		resent,
		// Acknowledged events the database holds no execution for: Pivotal would never resend them.
		lost: Math.max(0, acknowledged.length - held),
		inStore,
		// Events whose run had succeeded before the stop but whose id the store had not saved: the
		// ids of the last group-commit window, which a resend runs again.
		unsaved: events.filter(
			(event, index) =>
				before.get(event.id)?.some((execution) => execution.status === 'success') &&
				resent[index].json?.status === 'accepted',
		).length,
		counts: events.map((event) => total.get(event.id)?.length ?? 0),
		statuses: { restarted: rows, total: statusCounts(total) },
	};
}

/** A local server the workflow's HTTP Request node calls: failing, slow or fine, as told. */
async function controlledServer() {
	const state = { status: 200, delayMs: 0, hits: [] };
	const server = http.createServer((req, res) => {
		state.hits.push(new URL(req.url, 'http://localhost').searchParams.get('event'));
		setTimeout(() => {
			res.writeHead(state.status, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ ok: state.status < 300 }));
		}, state.delayMs);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	state.url = `http://127.0.0.1:${server.address().port}/run`;
	state.close = () =>
		new Promise((resolve) => {
			server.close(resolve);
			// n8n's HTTP Request node keeps its connections alive; they would hold the close.
			server.closeAllConnections();
		});
	return state;
}

/**
 * Pivotal Trigger (When the Workflow Succeeds) → HTTP Request to a controlled server, made once
 * per context: `{ flow, server, url }`, `url` being where production deliveries go.
 */
async function onSuccessWorkflow(ctx, { name = 'default', options = {} } = {}) {
	ctx.onSuccessFlows ??= {};
	if (ctx.onSuccessFlows[name]) return ctx.onSuccessFlows[name];
	const server = await controlledServer();
	ctx.cleanups = [...(ctx.cleanups ?? []), server.close];
	const flow = await ctx.addWorkflow(
		`Pivotal e2e: acknowledge when the workflow succeeds (${name})`,
		'*',
		options,
		{
			acknowledge: 'onSuccess',
			next: {
				name: 'Call Server',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				parameters: { url: `=${server.url}?event={{ $json.id }}`, options: {} },
			},
		},
	);
	ctx.onSuccessFlows[name] = { flow, server, url: ctx.productionUrls(flow)[0] };
	return ctx.onSuccessFlows[name];
}

/** @type {Array<{ name: string, run: (ctx: import('./context').E2eContext) => Promise<void> }>} */
const acknowledgeScenarios = [
	{
		name: `${BURST} new events, SIGTERM right after the last 2xx, restart: all ids saved, each ran exactly once`,
		async run(ctx) {
			const { first, resent, counts, lost, inStore, statuses } = await burstThenStop(ctx, {
				crash: false,
			});
			ctx.report('SIGTERM after a burst', {
				first: countBy(first),
				inStore,
				resent: countBy(resent),
				executions: statuses,
			});
			assert.deepEqual(countBy(first), { '200 accepted': BURST }, 'answers to the burst');
			// Saved by the stop itself: no delivery after the restart was needed to save them.
			assert.equal(inStore, BURST, 'ids in the database right after the restart');
			assert.equal(lost, 0, 'acknowledged events without an execution in the database');
			const notOnce = counts.filter((count) => count !== 1);
			assert.equal(notOnce.length, 0, `events not run exactly once: ${JSON.stringify(counts)}`);
			for (const response of resent) {
				assert.equal(response.status, 200, `resend: ${response.status} ${response.text}`);
			}
		},
	},
	{
		name: `${BURST} new events, kill -9 right after the last 2xx, restart, resend: none acknowledged and lost`,
		async run(ctx) {
			const { first, resent, lost, unsaved, inStore, statuses } = await burstThenStop(ctx, {
				crash: true,
			});
			ctx.report('kill -9 after a burst', {
				first: countBy(first),
				inStore,
				resent: countBy(resent),
				executions: statuses,
				unsaved,
				// A crash's price: events that ran again when resent, never a lost one.
				ranAgain: resent.filter((response) => response.json?.status === 'accepted').length,
			});
			// Every acknowledged event has its execution in the database, if only a crashed one.
			assert.equal(lost, 0, 'acknowledged events without an execution in the database');
			for (const response of resent) {
				assert.equal(response.status, 200, `resend: ${response.status} ${response.text}`);
			}
		},
	},
	{
		name: 'When the Workflow Succeeds: a failed run gets 500 and runs again on retry, then 200, then duplicate',
		async run(ctx) {
			const { flow, server, url } = await onSuccessWorkflow(ctx);
			const event = sampleEvent();
			server.status = 500;
			const failed = await ctx.observe(flow, () => ctx.send(event, { url }), { atLeast: 1 });
			assert.equal(failed.result.status, 500, `failed run: ${failed.result.text}`);
			assert.equal(failed.result.json?.status, 'failed');
			assert.equal(failed.executions.length, 1, 'one execution for the failed run');
			assert.equal(failed.executions[0].status, 'error');

			server.status = 200;
			const ok = await ctx.observe(flow, () => ctx.send(event, { url }), { atLeast: 1 });
			assert.equal(ok.result.status, 200, `retry: ${ok.result.text}`);
			assert.deepEqual(ok.result.json, { status: 'accepted' }, 'no workflow data in the answer');
			assert.equal(ok.executions.length, 1, 'one execution for the retry');
			assert.equal(ok.executions[0].status, 'success');

			const third = await ctx.observe(flow, () => ctx.send(event, { url }));
			assert.equal(third.result.json?.status, 'duplicate', third.result.text);
			assert.equal(third.executions.length, 0, 'nothing runs for a duplicate');
		},
	},
	{
		name: `When the Workflow Succeeds: 10 copies of one event during a ${SLOW_RUN_MS / 1000} s run run once, the rest are told to retry`,
		async run(ctx) {
			const { flow, server, url } = await onSuccessWorkflow(ctx);
			server.status = 200;
			server.delayMs = SLOW_RUN_MS;
			try {
				const event = sampleEvent();
				const signed = signDelivery(event, { secret: ctx.secret, messageId: newMessageId() });
				const sentAt = Date.now();
				const { result, executions } = await ctx.observe(
					flow,
					() =>
						Promise.all(
							Array.from({ length: 10 }, async () => {
								const response = await postDelivery(url, signed);
								return { ...response, ms: Date.now() - sentAt };
							}),
						),
					{ atLeast: 1 },
				);
				const counts = countBy(result);
				const accepted = result.find((response) => response.json?.status === 'accepted');
				ctx.report('answer latency, When the Workflow Succeeds', {
					runMs: SLOW_RUN_MS,
					answeredMs: accepted?.ms,
					answers: counts,
				});
				assert.equal(counts['200 accepted'], 1, `answers: ${JSON.stringify(counts)}`);
				assert.equal(counts['409 in-progress'], 9, `answers: ${JSON.stringify(counts)}`);
				assert.ok(
					accepted.ms >= SLOW_RUN_MS,
					`answered after ${accepted.ms} ms, before the run ended`,
				);
				assert.equal(executions.length, 1, 'one execution');
				const again = await Promise.all(
					Array.from({ length: 10 }, () => postDelivery(url, signed)),
				);
				assert.deepEqual(countBy(again), { '200 duplicate': 10 }, 'copies after the success');
			} finally {
				server.delayMs = 0;
			}
		},
	},
	{
		name: 'When the Workflow Succeeds: an n8n restart during a run leaves the event retryable, never blocked',
		async run(ctx) {
			const { flow, server, url } = await onSuccessWorkflow(ctx);
			server.status = 200;
			server.delayMs = SLOW_RUN_MS;
			const event = sampleEvent();
			let original;
			try {
				const pending = ctx
					.send(event, { url })
					.catch((error) => ({ status: 0, text: error.message }));
				const deadline = Date.now() + 10_000;
				while (!server.hits.includes(event.id) && Date.now() < deadline) await sleep(50);
				assert.ok(server.hits.includes(event.id), 'the run reached the server');
				await ctx.restart({ workflows: [flow] });
				original = await pending;
			} finally {
				server.delayMs = 0;
			}
			const retry = await sendUntilAnswered(ctx, event, url);
			const perEvent = await executionsPerEvent(ctx, flow, { atLeast: 1 });
			const runs = perEvent.get(event.id) ?? [];
			ctx.report('restart during a run, When the Workflow Succeeds', {
				original: `${original.status} ${original.json?.status ?? original.text.slice(0, 40)}`,
				retry: `${retry.status} ${retry.json?.status}`,
				executions: runs.map((execution) => execution.status),
			});
			assert.equal(retry.status, 200, `retry after the restart: ${retry.status} ${retry.text}`);
			assert.ok(runs.length >= 1 && runs.length <= 2, `executions: ${runs.length}`);
			assert.ok(
				runs.some((execution) => execution.status === 'success'),
				'the event ran to success once',
			);
		},
	},
	{
		name: 'When the Workflow Succeeds: ids of successful runs survive a restart',
		async run(ctx) {
			const { flow, server, url } = await onSuccessWorkflow(ctx);
			server.status = 200;
			const events = [sampleEvent(), sampleEvent(), sampleEvent()];
			for (const event of events) {
				const response = await ctx.send(event, { url });
				assert.deepEqual(response.json, { status: 'accepted' }, response.text);
			}
			await ctx.restart({ workflows: [flow] });
			const { result, executions } = await ctx.observe(flow, () =>
				Promise.all(events.map((event) => ctx.send(event, { url }))),
			);
			assert.deepEqual(countBy(result), { '200 duplicate': 3 }, 'after the restart');
			assert.equal(executions.length, 0, 'nothing ran again');
		},
	},
];

module.exports = {
	acknowledgeScenarios,
	executionsPerEvent,
	onSuccessWorkflow,
	sendUntilAnswered,
	SLOW_RUN_MS,
};
