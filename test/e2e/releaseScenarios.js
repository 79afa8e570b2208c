'use strict';

/**
 * When n8n lets go of the trigger's in-memory state, the stored state is all that is left: a
 * workflow deactivated and activated again, a trigger renamed and the workflow saved and
 * activated, n8n restarted, or killed during or right after a burst (at boot n8n runs the
 * executions it had created but not started, with a workflow that carries no static data).
 * Retries of events the workflow ran before must still be duplicates, and nothing may wipe the
 * ids already stored. The queue-mode release is in queueScenarios.js.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');

const { newMessageId, sampleEvent } = require('../../scripts/lib/signing');
const { sleep } = require('../../scripts/lib/util');
const { TRIGGER_NAME, nodeOutput, waitUntilLive } = require('../../scripts/lib/workflows');
const { executionsPerEvent, sendUntilAnswered } = require('./acknowledgeScenarios');
const { countBy, sample } = require('./scenarios');

const EARLIER = 10;
const CRASH_BURST = 30;
/** With a concurrency limit: how many of the burst's runs wait in n8n's queue at the kill. */
const QUEUED_AT_KILL = 10;
const RENAMED = 'Pivotal Trigger (renamed)';
/**
 * A node after the trigger that makes each run last half a second (waits under 65 s are spent
 * in process): with one run at a time, a burst of 30 takes 15 s to drain.
 */
const WAIT_HALF_A_SECOND = {
	name: 'Wait Half a Second',
	type: 'n8n-nodes-base.wait',
	typeVersion: 1.1,
	parameters: { resume: 'timeInterval', amount: 0.5, unit: 'seconds' },
};

/** POST /api/v1/workflows/{id}/deactivate: the client has activate only. */
async function deactivateWorkflow(client, id) {
	return await client.api('POST', `/workflows/${id}/deactivate`);
}

/** PUT /api/v1/workflows/{id}: what saving in the editor does, through the public API. */
async function updateWorkflow(client, id, workflow) {
	return await client.api('PUT', `/workflows/${id}`, { body: workflow });
}

/**
 * Waits until n8n no longer routes the production URL to the node (404). n8n 2.x removes a
 * deactivated workflow's webhooks a moment after the API answers; a delivery sent before that
 * would still reach the state that is about to be released.
 */
async function waitUntilGone(url, { timeoutMs = 30_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = 'no answer';
	while (Date.now() < deadline) {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
			signal: AbortSignal.timeout(5000),
		});
		last = `${response.status} ${(await response.text()).slice(0, 200)}`;
		if (response.status === 404) return;
		await sleep(200);
	}
	throw new Error(`webhook ${url} still answered ${last} ${timeoutMs} ms after deactivation`);
}

/**
 * A release: deactivate, wait until every process answers 404, activate, wait until every
 * process routes to the node again.
 */
async function releaseWorkflow(ctx, workflow) {
	const deactivated = await deactivateWorkflow(ctx.client, workflow.id);
	assert.equal(deactivated.active, false, `workflow ${workflow.id} did not deactivate`);
	for (const url of ctx.productionUrls(workflow)) await waitUntilGone(url);
	const activated = await ctx.client.activateWorkflow(workflow.id);
	assert.equal(activated.active, true, `workflow ${workflow.id} did not activate again`);
	for (const url of ctx.productionUrls(workflow)) await waitUntilLive(url);
}

/** `count` new events to `workflow`, one after the other; each must be accepted and run once. */
async function acceptInTurn(ctx, workflow, count, what) {
	const events = Array.from({ length: count }, () => sampleEvent());
	const messageIds = events.map(() => newMessageId());
	const { result, executions } = await ctx.observe(
		workflow,
		async () => {
			const answers = [];
			for (const [i, event] of events.entries()) {
				answers.push(
					await ctx.send(event, { url: workflow.urls.production, messageId: messageIds[i] }),
				);
			}
			return answers;
		},
		{ atLeast: count },
	);
	assert.deepEqual(countBy(result), { '200 accepted': count }, `${what}: answers`);
	assertRunsPerId(executions, events, 1, what);
	return { events, messageIds };
}

/** How many of `executions` carry each of `events`, under the trigger named `triggerName`. */
function runsPerId(executions, events, triggerName = TRIGGER_NAME) {
	const counts = new Map(events.map((event) => [event.id, 0]));
	for (const execution of executions) {
		const id = nodeOutput(execution, triggerName)?.id;
		counts.set(id, (counts.get(id) ?? 0) + 1);
	}
	return counts;
}

/** Every event ran exactly `times` times, and no execution carries anything else. */
function assertRunsPerId(executions, events, times, what, triggerName) {
	const counts = runsPerId(executions, events, triggerName);
	const expected = new Set(events.map((event) => event.id));
	const others = [...counts.keys()].filter((id) => !expected.has(id));
	assert.equal(others.length, 0, `${what}: executions of other events: ${sample(others)}`);
	const wrong = [...counts].filter(([, count]) => count !== times);
	assert.equal(
		wrong.length,
		0,
		`${what}: expected ${times} execution(s) per event, got ` +
			sample(wrong.map(([id, count]) => `${id}: ${count}`)),
	);
}

/** The answers' statuses by event id, for failure messages. */
function notAnswered(events, answers, status) {
	return events
		.map((event, i) => [event.id, answers[i]])
		.filter(([, answer]) => answer.json?.status !== status)
		.map(([id, answer]) => `${id}: ${answer.status} ${answer.json?.status ?? answer.text}`);
}

/**
 * Saves the trigger under another name (node id, webhook id and everything else kept) and
 * activates the workflow, as a user renaming the node in the editor and publishing does.
 */
async function renameTrigger(ctx, workflow, name) {
	const current = await ctx.client.getWorkflow(workflow.id);
	const trigger = current.nodes.find((node) => node.id === workflow.nodeId);
	const nodes = current.nodes.map((node) => (node === trigger ? { ...node, name } : node));
	// Connections are keyed by the source node's name.
	const connections = Object.fromEntries(
		Object.entries(current.connections).map(([from, to]) => [
			from === trigger.name ? name : from,
			to,
		]),
	);
	const saved = await updateWorkflow(ctx.client, workflow.id, {
		name: current.name,
		nodes,
		connections,
		settings: { executionOrder: current.settings?.executionOrder ?? 'v1' },
	});
	assert.ok(
		saved.nodes.some((node) => node.id === workflow.nodeId && node.name === name),
		'the saved workflow has the renamed trigger',
	);
	const activated = await ctx.client.activateWorkflow(workflow.id);
	assert.equal(activated.active, true, 'the renamed workflow is active');
}

/**
 * Sends `event` until n8n routes it to the node: n8n 2.x unregisters the webhook for a moment
 * while it activates the saved version, and answers 404 meanwhile (no execution).
 */
async function sendWhileUnregistered(ctx, event, url, { timeoutMs = 30_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await ctx.send(event, { url });
		if (response.status !== 404 || Date.now() > deadline) return response;
		await sleep(200);
	}
}

/**
 * New events, one at a time, until one runs under the trigger's new name: the proof that n8n
 * serves the saved version, whose node state was made anew. Returns the probes and their runs.
 */
async function probeUntilRenamed(ctx, workflow, name, { tries = 20 } = {}) {
	const probes = [];
	const executions = [];
	for (let attempt = 0; attempt < tries; attempt++) {
		const event = sampleEvent();
		probes.push(event);
		const seen = await ctx.observe(
			workflow,
			() => sendWhileUnregistered(ctx, event, workflow.urls.production),
			{ atLeast: 1 },
		);
		assertAnswerStatus(seen.result, 200, 'accepted', `probe ${attempt + 1} after the rename`);
		executions.push(...seen.executions);
		if (seen.executions.some((execution) => nodeOutput(execution, name)?.id === event.id)) {
			return { probes, executions };
		}
	}
	throw new Error(`no run under the name "${name}" after ${tries} new events`);
}

function assertAnswerStatus(response, status, bodyStatus, what) {
	assert.equal(
		response.status,
		status,
		`${what}: expected HTTP ${status}, got ${response.status} ${response.text.slice(0, 300)}`,
	);
	assert.equal(response.json?.status, bodyStatus, `${what}: body ${response.text.slice(0, 300)}`);
}

/** An event about `objectId` at `minute` past 10:00 on a fixed day (Skip Out-of-Order Events). */
function about(objectId, minute) {
	const updatedAt = new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();
	return sampleEvent({ type: 'customer.updated', object: { id: objectId, updated_at: updatedAt } });
}

/** A SQLite datetime ('2026-12-03 17:00:00.000', UTC) or an ISO string, in ms. */
function timeOf(value) {
	if (!value) return undefined;
	if (value instanceof Date) return value.getTime();
	const text = String(value);
	return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * Restarts n8n after a kill -9 with debug logging for this start only, so the boot's
 * "Found enqueued executions to run" line (a debug line) shows which executions n8n recovered.
 * Returns that line's execution ids, or undefined when the line is not in the log.
 */
async function crashAndRestart(ctx, workflows) {
	const instance = ctx.instance;
	const logStart = fs.statSync(instance.logFile).size;
	const before = instance.extraEnv.N8N_LOG_LEVEL;
	instance.extraEnv.N8N_LOG_LEVEL = 'debug';
	try {
		await ctx.restart({ crash: true, workflows });
	} finally {
		// The environment is read at spawn: later restarts log as before.
		if (before === undefined) delete instance.extraEnv.N8N_LOG_LEVEL;
		else instance.extraEnv.N8N_LOG_LEVEL = before;
	}
	// logStart counts bytes: cut the Buffer, not the decoded text.
	const bootLog = fs.readFileSync(instance.logFile).subarray(logStart).toString('utf8');
	const at = bootLog.indexOf('Found enqueued executions to run');
	if (at < 0) return { enqueuedIds: undefined, bootLog };
	const list = /executionIds[^[]*\[([^\]]*)\]/.exec(bootLog.slice(at, at + 20_000));
	const enqueuedIds = list ? (list[1].match(/\d+/g) ?? []) : undefined;
	return { enqueuedIds, bootLog };
}

/**
 * Restarts n8n (SIGTERM) with `env` added to its environment, kept for later starts until
 * restored with the function returned.
 */
async function restartWithEnv(ctx, env, workflows) {
	const { extraEnv } = ctx.instance;
	const before = Object.fromEntries(Object.keys(env).map((key) => [key, extraEnv[key]]));
	Object.assign(extraEnv, env);
	await ctx.restart({ workflows });
	return () => {
		for (const [key, value] of Object.entries(before)) {
			if (value === undefined) delete extraEnv[key];
			else extraEnv[key] = value;
		}
	};
}

/**
 * The second defect: at boot n8n runs the executions a crash left created but not started, with
 * the workflow as the execution saved it, without static data; such a run must not save its
 * near-empty store over the stored one. Without a limit, at the last 2xx the burst's executions
 * are mostly running already: the boot marks them crashed and recovers few or none. With
 * `concurrencyLimit` and runs that last half a second, the burst's runs wait in n8n's
 * concurrency queue (created, not started); n8n is killed while they do, so the boot recovers
 * them.
 */
function crashScenario({ concurrencyLimit } = {}) {
	const limited = concurrencyLimit !== undefined;
	const how = limited
		? `with at most ${concurrencyLimit} production execution at a time`
		: 'without a concurrency limit';
	return {
		name: limited
			? `After a crash (${how}): ${EARLIER} events run, ${CRASH_BURST} more in parallel, kill -9 while ${QUEUED_AT_KILL} of them wait in n8n's queue, restart: the ${EARLIER} earlier ids are still duplicates`
			: `After a crash (${how}): ${EARLIER} events run, ${CRASH_BURST} more in parallel, kill -9 right after the last 2xx, restart: the ${EARLIER} earlier ids are still duplicates`,
		// Two restarts of n8n, and with the limit a burst that drains slowly.
		timeoutMs: limited ? 300_000 : 180_000,
		async run(ctx) {
			// With the limit, each run takes half a second, so the burst's runs wait in n8n's queue.
			const shape = limited ? { next: WAIT_HALF_A_SECOND } : {};
			const flow = await ctx.addWorkflow(
				`Pivotal e2e: crash after a burst (${how})`,
				'*',
				{},
				shape,
			);
			const url = flow.urls.production;
			let restore = () => {};
			try {
				if (limited) {
					restore = await restartWithEnv(
						ctx,
						{ N8N_CONCURRENCY_PRODUCTION_LIMIT: String(concurrencyLimit) },
						[flow],
					);
				}
				await crashRound(ctx, flow, url, { how, limited, restore });
			} finally {
				restore();
			}
		},
	};
}

/** Waits until `count` of the workflow's executions are created and not started ('new'). */
async function untilQueued(ctx, workflow, count, { timeoutMs = 30_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = await ctx.executionRows(workflow);
		if ((rows.new ?? 0) >= count || Date.now() > deadline) return rows.new ?? 0;
		await sleep(100);
	}
}

async function crashRound(ctx, flow, url, { how, limited, restore }) {
	const earlier = await acceptInTurn(ctx, flow, EARLIER, 'earlier events');
	const earlierIds = earlier.events.map((event) => event.id);
	const storedBefore = await ctx.storedIds(flow, earlierIds);

	const burst = Array.from({ length: CRASH_BURST }, () => sampleEvent());
	const sending = Promise.all(
		burst.map((event) =>
			ctx.send(event, { url }).catch((error) => ({ status: 0, text: error.message })),
		),
	);
	let queued;
	if (limited) {
		// The node answers once the run has started, so queued runs hold their answers back: kill
		// n8n while some wait in the queue, as a crash in the middle of a busy minute would.
		queued = await untilQueued(ctx, flow, QUEUED_AT_KILL);
	}
	if (!limited) await sending;
	const killedAt = Date.now();
	// The boot after the crash runs without the limit: the recovered executions all start at once.
	restore();
	const { enqueuedIds } = await crashAndRestart(ctx, [flow]);
	const first = await sending;
	const bootMs = Date.now() - killedAt;
	// n8n runs the executions it had created but not started: wait until they are done.
	let rows = await ctx.executionRows(flow);
	for (let waited = 0; (rows.new || rows.running) && waited < 30_000; waited += 250) {
		await sleep(250);
		rows = await ctx.executionRows(flow);
	}
	// Created before the kill, started after it: what n8n ran again at boot.
	const times = await ctx.query(
		'SELECT id, status, createdAt, startedAt FROM execution_entity WHERE workflowId = ?',
		[flow.id],
	);
	const recovered = times.filter(
		(row) => timeOf(row.createdAt) < killedAt && timeOf(row.startedAt) > killedAt,
	);
	// What the database holds before any delivery after the restart could add to it.
	const storedAfter = await ctx.storedIds(flow, earlierIds);

	const resent = await ctx.observe(flow, () =>
		Promise.all(
			earlier.events.map((event, i) => ctx.send(event, { url, messageId: earlier.messageIds[i] })),
		),
	);
	// The burst's ids may run again (up to the group-commit window's worth): measured only.
	const burstAgain = await ctx.observe(flow, () =>
		Promise.all(burst.map((event) => sendUntilAnswered(ctx, event, url))),
	);
	const perEvent = await executionsPerEvent(ctx, flow);
	ctx.report(`kill -9 after a burst (${how}), earlier ids`, {
		burst: countBy(first),
		...(limited ? { queuedAtKill: queued } : {}),
		enqueuedAtBoot: enqueuedIds?.length ?? 'no "Found enqueued executions" line',
		recoveredInDatabase: recovered.length,
		bootMs,
		afterRecovery: rows,
		earlierStored: `before ${storedBefore.held.length}/${EARLIER} rev ${storedBefore.rev}, after recovery ${storedAfter.held.length}/${EARLIER} rev ${storedAfter.rev}`,
		earlierResent: countBy(resent.result),
		earlierResentExecutions: resent.executions.length,
		burstResent: countBy(burstAgain.result),
		burstRanAgain: burstAgain.executions.length,
	});
	if (limited) {
		// Otherwise the scenario never reached the recovery it is about.
		assert.ok(
			recovered.length > 0 || (enqueuedIds?.length ?? 0) > 0,
			`n8n recovered no execution at boot (after the restart: ${JSON.stringify(rows)})`,
		);
	}
	assert.deepEqual(
		countBy(resent.result),
		{ '200 duplicate': EARLIER },
		`the ${EARLIER} earlier events resent after the crash (stored before ${storedBefore.held.length}, ` +
			`after recovery ${storedAfter.held.length}, rev ${storedAfter.rev}): ` +
			sample(notAnswered(earlier.events, resent.result, 'duplicate')),
	);
	assert.equal(resent.executions.length, 0, 'executions started by the earlier events');
	const notOnce = earlierIds.filter((id) => (perEvent.get(id)?.length ?? 0) !== 1);
	assert.equal(
		notOnce.length,
		0,
		`earlier events not run exactly once in all: ${sample(notOnce.map((id) => `${id}: ${perEvent.get(id)?.length ?? 0}`))}`,
	);
}

/** @type {Array<{ name: string, run: (ctx: import('./context').E2eContext) => Promise<void> }>} */
const releaseScenarios = [
	{
		name: 'After a release: deactivated then activated, retries of earlier events are duplicates and run nothing',
		async run(ctx) {
			const flow = await ctx.addWorkflow('Pivotal e2e: release, deactivate and activate', '*');
			const url = flow.urls.production;
			const { events, messageIds } = await acceptInTurn(ctx, flow, 3, 'before the release');
			await releaseWorkflow(ctx, flow);

			// Svix retries a message with its message id, a new timestamp and a new signature.
			const retries = await ctx.observe(flow, async () => {
				const answers = [];
				for (const [i, event] of events.entries()) {
					answers.push(await ctx.send(event, { url, messageId: messageIds[i] }));
				}
				return answers;
			});
			const stored = await ctx.storedIds(
				flow,
				events.map((event) => event.id),
			);
			ctx.report('after deactivate + activate', {
				retries: countBy(retries.result),
				executions: retries.executions.length,
				stored: `${stored.held.length}/${events.length}`,
				rev: stored.rev,
			});
			assert.deepEqual(
				countBy(retries.result),
				{ '200 duplicate': events.length },
				`retries after the release: ${sample(notAnswered(events, retries.result, 'duplicate'))}`,
			);
			assert.equal(retries.executions.length, 0, 'executions started by the retries');

			// The node is live after the release: a new event still runs, once.
			const fresh = sampleEvent();
			const after = await ctx.observe(flow, () => ctx.send(fresh, { url }), { atLeast: 1 });
			assertAnswerStatus(after.result, 200, 'accepted', 'a new event after the release');
			assertRunsPerId(after.executions, [fresh], 1, 'a new event after the release');
		},
	},
	{
		name: 'After a release: the trigger renamed, saved and activated, retries of earlier events are duplicates',
		async run(ctx) {
			const flow = await ctx.addWorkflow('Pivotal e2e: release, trigger renamed', '*');
			const url = flow.urls.production;
			const { events, messageIds } = await acceptInTurn(ctx, flow, 3, 'before the rename');
			const ids = events.map((event) => event.id);
			const storedBefore = await ctx.storedIds(flow, ids);
			await renameTrigger(ctx, flow, RENAMED);
			// n8n may serve the old version for a moment after the save; retries must reach the new one.
			const probed = await probeUntilRenamed(ctx, flow, RENAMED);

			const retries = await ctx.observe(flow, async () => {
				const answers = [];
				for (const [i, event] of events.entries()) {
					answers.push(await ctx.send(event, { url, messageId: messageIds[i] }));
				}
				return answers;
			});
			const storedAfter = await ctx.storedIds(flow, ids);
			ctx.report('after renaming the trigger', {
				probes: probed.probes.length,
				retries: countBy(retries.result),
				executions: retries.executions.length,
				storedBefore: `${storedBefore.held.length}/${ids.length} rev ${storedBefore.rev}`,
				storedAfter: `${storedAfter.held.length}/${ids.length} rev ${storedAfter.rev}`,
			});
			assert.deepEqual(
				countBy(retries.result),
				{ '200 duplicate': events.length },
				`retries after the rename: ${sample(notAnswered(events, retries.result, 'duplicate'))}`,
			);
			assert.equal(retries.executions.length, 0, 'executions started by the retries');
			// Each probe ran once, under whichever name was being served when it arrived.
			const probeRuns = probed.executions.filter((execution) =>
				probed.probes.some(
					(event) =>
						(nodeOutput(execution, RENAMED) ?? nodeOutput(execution, TRIGGER_NAME))?.id ===
						event.id,
				),
			);
			assert.equal(probeRuns.length, probed.probes.length, 'one execution per probe');
		},
	},
	{
		name: 'After a release: three rounds of 4 new events and a release, then all 12 resent run nothing, before and after a restart',
		async run(ctx) {
			const flow = await ctx.addWorkflow('Pivotal e2e: release, three rounds', '*');
			const url = flow.urls.production;
			const events = [];
			const storedPerRound = [];
			for (let round = 1; round <= 3; round++) {
				const batch = await acceptInTurn(ctx, flow, 4, `round ${round}`);
				events.push(...batch.events);
				await releaseWorkflow(ctx, flow);
				// Nothing holds the ids in memory any more: what is not stored here is forgotten.
				const stored = await ctx.storedIds(
					flow,
					events.map((event) => event.id),
				);
				storedPerRound.push(`${stored.held.length}/${events.length} rev ${stored.rev}`);
				assert.equal(
					stored.held.length,
					events.length,
					`round ${round}: ids in static data after the release (rev ${stored.rev}): ` +
						sample(events.map((event) => event.id).filter((id) => !stored.held.includes(id))),
				);
			}
			const resendAll = () => Promise.all(events.map((event) => ctx.send(event, { url })));
			const again = await ctx.observe(flow, resendAll);
			ctx.report('three rounds of 4 events and a release', {
				storedPerRound,
				resent: countBy(again.result),
				executions: again.executions.length,
			});
			assert.deepEqual(
				countBy(again.result),
				{ '200 duplicate': events.length },
				`all 12 resent: ${sample(notAnswered(events, again.result, 'duplicate'))}`,
			);
			assert.equal(again.executions.length, 0, 'executions started by the resend');

			await ctx.restart({ workflows: [flow] });
			const afterRestart = await ctx.observe(flow, resendAll);
			ctx.report('three rounds, resent after a restart', {
				resent: countBy(afterRestart.result),
				executions: afterRestart.executions.length,
			});
			assert.deepEqual(
				countBy(afterRestart.result),
				{ '200 duplicate': events.length },
				`all 12 resent after the restart: ${sample(notAnswered(events, afterRestart.result, 'duplicate'))}`,
			);
			assert.equal(afterRestart.executions.length, 0, 'executions started after the restart');
		},
	},
	{
		name: 'After a release: at once a parallel burst of retries and new events: each new one runs once, no retry runs',
		async run(ctx) {
			const flow = await ctx.addWorkflow('Pivotal e2e: release, then a mixed burst', '*');
			const url = flow.urls.production;
			const earlier = await acceptInTurn(ctx, flow, EARLIER, 'before the release');
			await releaseWorkflow(ctx, flow);

			// The first requests after the release all find no state in memory at the same time.
			const fresh = Array.from({ length: EARLIER }, () => sampleEvent());
			const sends = [
				...earlier.events.map((event, i) => ({
					event,
					messageId: earlier.messageIds[i],
					retry: true,
				})),
				...fresh.map((event) => ({ event, messageId: newMessageId(), retry: false })),
			].sort(() => Math.random() - 0.5);
			const { result, executions } = await ctx.observe(
				flow,
				() => Promise.all(sends.map(({ event, messageId }) => ctx.send(event, { url, messageId }))),
				{ atLeast: fresh.length },
			);
			const retries = result.filter((_, i) => sends[i].retry);
			const news = result.filter((_, i) => !sends[i].retry);
			const counts = runsPerId(executions, [...earlier.events, ...fresh]);
			ctx.report('a mixed burst right after a release', {
				retries: countBy(retries),
				new: countBy(news),
				executions: executions.length,
			});
			assert.deepEqual(countBy(retries), { '200 duplicate': EARLIER }, 'answers to the retries');
			assert.deepEqual(countBy(news), { '200 accepted': EARLIER }, 'answers to the new events');
			const retriedRuns = earlier.events.filter((event) => counts.get(event.id) !== 0);
			assert.equal(
				retriedRuns.length,
				0,
				`retries that ran: ${sample(retriedRuns.map((e) => `${e.id}: ${counts.get(e.id)}`))}`,
			);
			const notOnce = fresh.filter((event) => counts.get(event.id) !== 1);
			assert.equal(
				notOnce.length,
				0,
				`new events not run exactly once: ${sample(notOnce.map((e) => `${e.id}: ${counts.get(e.id)}`))}`,
			);
			assert.equal(executions.length, EARLIER, 'executions started by the burst');
		},
	},
	{
		name: 'After a release: Skip Out-of-Order Events, an older version of an object is still stale',
		async run(ctx) {
			const flow = await ctx.addWorkflow('Pivotal e2e: release, ordered', '*', { skipStale: true });
			const url = flow.urls.production;
			const object = `cus_${Math.random().toString(36).slice(2, 10)}`;
			const newer = about(object, 20);
			const first = await ctx.observe(flow, () => ctx.send(newer, { url }), { atLeast: 1 });
			assertAnswerStatus(first.result, 200, 'accepted', 'the newer version');
			assertRunsPerId(first.executions, [newer], 1, 'the newer version');
			await releaseWorkflow(ctx, flow);

			const older = about(object, 10);
			const stale = await ctx.observe(flow, () => ctx.send(older, { url }));
			ctx.report('Skip Out-of-Order Events after a release', {
				older: `${stale.result.status} ${stale.result.json?.status}`,
				executions: stale.executions.length,
			});
			assertAnswerStatus(stale.result, 200, 'stale', 'an older version after the release');
			assert.equal(stale.executions.length, 0, 'executions started by the older version');

			// Only older versions are skipped: a later one still runs, once.
			const latest = about(object, 30);
			const later = await ctx.observe(flow, () => ctx.send(latest, { url }), { atLeast: 1 });
			assertAnswerStatus(later.result, 200, 'accepted', 'a later version after the release');
			assertRunsPerId(later.executions, [latest], 1, 'a later version after the release');
		},
	},
	crashScenario(),
	crashScenario({ concurrencyLimit: 1 }),
];

module.exports = {
	deactivateWorkflow,
	releaseScenarios,
	releaseWorkflow,
	waitUntilGone,
};
