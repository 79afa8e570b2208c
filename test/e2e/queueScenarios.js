'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');

const { REPO_DIR } = require('../../scripts/lib/runtimes');

const { newMessageId, sampleEvent } = require('../../scripts/lib/signing');
const { mapLimit, sleep } = require('../../scripts/lib/util');
const { triggerOutput } = require('../../scripts/lib/workflows');
const { countBy, sample } = require('./scenarios');

/** Longer than the node's save grace (SAVE_GRACE_SECONDS in nodes/Pivotal/stores/entryLog.ts). */
const PAST_SAVE_GRACE_MS = 6000;
const { onSuccessWorkflow, SLOW_RUN_MS } = require('./acknowledgeScenarios');

/**
 * Svix's first retry comes 5 s after a failed attempt; 1 s is harsher than Svix. The shorter
 * gaps, down to copies sent at the same moment, are measured for the documented bound.
 */
const RETRY_GAPS_MS = [5000, 1000, 250, 0];
const IDS_PER_GAP = Number(process.env.N8N_E2E_QUEUE_IDS || 20);
/** Between the first deliveries of successive ids, so pairs overlap as real traffic does. */
const STAGGER_MS = 200;
const BURST_IDS = 60;
/** Senders per webhook process during a burst. */
const BURST_CONCURRENCY = 8;
/** How often, and how far apart, a delivery answered 503 is sent again, as Pivotal would. */
const BUSY_ATTEMPTS = 5;
const BUSY_RETRY_MS = 1000;

/**
 * One delivery of `event` to webhook process `which`, as Pivotal sends it: every attempt of a
 * message carries the message's id, with a fresh timestamp and signature.
 */
async function deliver(ctx, event, which, messageId, workflow = ctx.main) {
	const url = ctx.urlOn(workflow, which);
	for (let attempt = 1; ; attempt++) {
		const answer = await ctx.send(event, { url, messageId });
		// 503 "busy" (the owning process did not answer in time) or 409 "in-progress" (a copy is
		// under way): Pivotal retries; so does this.
		if ((answer.status !== 503 && answer.status !== 409) || attempt === BUSY_ATTEMPTS) {
			return answer;
		}
		ctx.busyAnswers = (ctx.busyAnswers ?? 0) + 1;
		await sleep(BUSY_RETRY_MS);
	}
}

/** How many executions each event id started, over `events`. */
function executionsPerId(executions, events) {
	const counts = new Map(events.map((event) => [event.id, 0]));
	for (const execution of executions) {
		const id = triggerOutput(execution)?.id;
		assert.ok(counts.has(id), `execution ${execution.id} carries an unexpected event ${id}`);
		counts.set(id, counts.get(id) + 1);
	}
	return counts;
}

/** Every event ran at least once: a lost delivery fails whatever the target for duplicates. */
function assertNoneLost(counts, what) {
	const lost = [...counts].filter(([, count]) => count === 0).map(([id]) => id);
	assert.equal(lost.length, 0, `${what}: ${lost.length} event(s) never ran: ${sample(lost)}`);
}

function duplicatesIn(counts) {
	return [...counts].filter(([, count]) => count > 1).map(([id]) => id);
}

/** First delivery of each event to one process, its retry `gapMs` later to the other. */
async function retryAcrossProcesses(ctx, workflow, events, gapMs) {
	return await Promise.all(
		events.map(async (event, i) => {
			await sleep(i * STAGGER_MS);
			const messageId = newMessageId();
			const first = deliver(ctx, event, i % 2, messageId, workflow);
			if (gapMs > 0) await first;
			await sleep(gapMs);
			return [await first, await deliver(ctx, event, (i + 1) % 2, messageId, workflow)];
		}),
	);
}

/**
 * Without routing, only static data carries an event to the other process before its retry:
 * measured, since n8n saves it whole and the processes' saves overwrite each other. With
 * "Route by Event ID" every delivery of an event reaches one process: asserted.
 */
function retryScenario(gapMs, { routed = false } = {}) {
	const exact = routed;
	const when =
		gapMs > 0
			? `each retry ${gapMs / 1000} s later on the other webhook process`
			: 'a copy sent to both webhook processes at the same moment';
	const label = `${routed ? 'routed, ' : ''}gap ${gapMs / 1000} s`;
	return {
		name: `${routed ? 'routed to one process: ' : ''}${when}: ${exact ? 'exactly one execution per event' : 'measured, none lost'}`,
		async run(ctx) {
			const workflow = routed ? ctx.routed : ctx.main;
			const busyBefore = ctx.busyAnswers ?? 0;
			const events = Array.from({ length: IDS_PER_GAP }, () => sampleEvent());
			const { result, executions } = await ctx.observe(
				workflow,
				() => retryAcrossProcesses(ctx, workflow, events, gapMs),
				{ atLeast: events.length },
			);
			const answers = countBy(result.flat());
			const counts = executionsPerId(executions, events);
			const duplicates = duplicatesIn(counts);
			ctx.report(label, {
				events: events.length,
				executions: executions.length,
				duplicates: duplicates.length,
				resentAfter503: (ctx.busyAnswers ?? 0) - busyBefore,
				answers,
			});
			assertNoneLost(counts, label);
			// Each process dedupes its own requests exactly, so two processes run an event at most twice.
			const most = Math.max(...counts.values());
			assert.ok(most <= 2, `an event ran ${most} times on two webhook processes`);
			assert.ok(
				Object.keys(answers).every((key) => key.startsWith('200 ')),
				`every delivery is acknowledged with 200: ${JSON.stringify(answers)}`,
			);
			if (routed) {
				// Passing on must work, not fall back to handling deliveries where they land.
				const fallbacks = [
					...ctx.webhookLogLines('could not pass the delivery on'),
					...ctx.webhookLogLines('without a Pivotal Trigger answer'),
				];
				assert.deepEqual(fallbacks, [], 'deliveries handled where they landed');
			}
			if (exact) {
				assert.equal(
					duplicates.length,
					0,
					`${duplicates.length} of ${events.length} events ran twice with a ${gapMs} ms gap: ${sample(duplicates)}`,
				);
			}
		},
	};
}

/** Sends each event to its process, `BURST_CONCURRENCY` at a time per process, both at once. */
function burst(ctx, workflow, events, messageIds, processOf) {
	return Promise.all(
		[0, 1].map((which) => {
			const mine = events.map((event, i) => [event, i]).filter(([, i]) => processOf(i) === which);
			return mapLimit(mine, BURST_CONCURRENCY, ([event, i]) =>
				deliver(ctx, event, which, messageIds[i], workflow),
			);
		}),
	).then((answers) => answers.flat());
}

function burstScenario({ routed = false } = {}) {
	const label = `${routed ? 'routed, ' : ''}burst, retries 1 s later`;
	return {
		name: `${routed ? 'routed to one process: ' : ''}a burst of ${BURST_IDS} new events on both webhook processes at once, then every retry 1 s later on the other one: ${routed ? 'each event runs once' : 'measured, none lost'}`,
		async run(ctx) {
			const workflow = routed ? ctx.routed : ctx.main;
			const busyBefore = ctx.busyAnswers ?? 0;
			const events = Array.from({ length: BURST_IDS }, () => sampleEvent());
			const messageIds = events.map(() => newMessageId());
			const ids = events.map((event) => event.id);
			let held;
			const { result, executions } = await ctx.observe(
				workflow,
				async () => {
					const first = await burst(ctx, workflow, events, messageIds, (i) => i % 2);
					const started = Date.now();
					// What the database holds before any retry: processes' saves overwrite each other.
					held = (await ctx.storedIds(workflow, ids)).held.length;
					await sleep(Math.max(0, 1000 - (Date.now() - started)));
					const retries = await burst(ctx, workflow, events, messageIds, (i) => (i + 1) % 2);
					return { first, retries };
				},
				{ atLeast: events.length },
			);
			const counts = executionsPerId(executions, events);
			const duplicates = duplicatesIn(counts);
			ctx.report(label, {
				events: events.length,
				heldInDatabaseAfterBurst: held,
				executions: executions.length,
				duplicates: duplicates.length,
				resentAfter503: (ctx.busyAnswers ?? 0) - busyBefore,
				first: countBy(result.first),
				retries: countBy(result.retries),
			});
			assertNoneLost(counts, 'burst');
			assert.deepEqual(
				countBy(result.first),
				{ '200 accepted': BURST_IDS },
				'answers to the burst',
			);
			if (routed) {
				assert.equal(
					duplicates.length,
					0,
					`${duplicates.length} of ${events.length} burst events ran twice: ${sample(duplicates)}`,
				);
			}
		},
	};
}

const stickyScenario = {
	name: 'with routing by svix-id, copies sent at the same moment run once',
	async run(ctx) {
		const events = Array.from({ length: IDS_PER_GAP }, () => sampleEvent());
		const { result, executions } = await ctx.observe(
			ctx.main,
			() =>
				Promise.all(
					events.map(async (event, i) => {
						await sleep(i * STAGGER_MS);
						const messageId = newMessageId();
						// A balancer hashing the svix-id header sends every attempt to one process.
						const which = i % 2;
						return await Promise.all([
							deliver(ctx, event, which, messageId),
							deliver(ctx, event, which, messageId),
						]);
					}),
				),
			{ atLeast: events.length },
		);
		const counts = executionsPerId(executions, events);
		const duplicates = duplicatesIn(counts);
		ctx.report('gap 0 s, routed by svix-id', {
			events: events.length,
			executions: executions.length,
			duplicates: duplicates.length,
			answers: countBy(result.flat()),
		});
		assertNoneLost(counts, 'routed by svix-id');
		assert.equal(duplicates.length, 0, `events that ran twice: ${sample(duplicates)}`);
	},
};

/** `count` new events, half on each webhook process, all at once. */
async function acceptedOnBoth(ctx, count) {
	const events = Array.from({ length: count }, () => sampleEvent());
	const { result } = await ctx.observe(
		ctx.main,
		() => Promise.all(events.map((event, i) => deliver(ctx, event, i % 2))),
		{ atLeast: count },
	);
	assert.deepEqual(countBy(result), { '200 accepted': count }, 'first deliveries');
	return events;
}

const restartScenario = {
	name: 'events on both processes at once, one more delivery each, restart: retries run nothing',
	async run(ctx) {
		const events = await acceptedOnBoth(ctx, 10);
		const ids = events.map((event) => event.id);
		// The processes' saves overwrite each other: what is missing here is what a restart at
		// this moment would let run again.
		const heldBefore = (await ctx.storedIds(ctx.main, ids)).held.length;
		// Any signed delivery lets a process see that the database lacks its ids and save them,
		// once they are older than the grace in which its own saves may still be landing.
		await sleep(PAST_SAVE_GRACE_MS);
		await Promise.all([0, 1].map((which) => deliver(ctx, events[which], which)));
		const heldAfter = (await ctx.storedIds(ctx.main, ids)).held.length;
		assert.equal(heldAfter, ids.length, 'ids in the database after one more delivery each');

		await ctx.restartWebhookProcesses();
		const again = await ctx.observe(ctx.main, () =>
			Promise.all(events.map((event, i) => deliver(ctx, event, (i + 1) % 2))),
		);
		ctx.report('restart after concurrent deliveries', {
			inDatabaseRightAfter: `${heldBefore}/${ids.length}`,
			inDatabaseAfterOneMoreDeliveryEach: `${heldAfter}/${ids.length}`,
		});
		assert.deepEqual(countBy(again.result), { '200 duplicate': 10 }, 'retries after the restart');
		assert.equal(again.executions.length, 0, 'executions started by the retries');
	},
};

/** Makes every save of static data fail in the database, as a full disk or a lock timeout would. */
const FAIL_SAVES = `
CREATE OR REPLACE FUNCTION pivotal_e2e_fail_save() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'static data cannot be saved (e2e)'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER pivotal_e2e_fail_save BEFORE UPDATE OF "staticData" ON workflow_entity
FOR EACH ROW EXECUTE FUNCTION pivotal_e2e_fail_save();`;

const storeFailureScenario = {
	name: 'while the database refuses to save static data, every new event still runs',
	async run(ctx) {
		ctx.postgres.query(FAIL_SAVES);
		let events;
		let during;
		try {
			events = Array.from({ length: 6 }, () => sampleEvent());
			during = await ctx.observe(
				ctx.main,
				() => Promise.all(events.map((event, i) => deliver(ctx, event, i % 2))),
				{ atLeast: events.length },
			);
		} finally {
			ctx.postgres.query('DROP TRIGGER pivotal_e2e_fail_save ON workflow_entity;');
		}
		assert.deepEqual(countBy(during.result), { '200 accepted': 6 }, 'answers while saves fail');
		assertNoneLost(executionsPerId(during.executions, events), 'while saves fail');
		// Each process still knows what it accepted: a retry on the same process runs nothing.
		const retried = await ctx.observe(ctx.main, () =>
			Promise.all(events.map((event, i) => deliver(ctx, event, i % 2))),
		);
		assert.deepEqual(
			countBy(retried.result),
			{ '200 duplicate': 6 },
			'retries on the same process',
		);
		assert.equal(retried.executions.length, 0, 'executions started by the retries');
	},
};

const unreadableStoreScenario = {
	name: 'a corrupted dedupe store in the database: the next event runs and the store is rewritten',
	async run(ctx) {
		ctx.postgres.query(
			`UPDATE workflow_entity SET "staticData" = '{"global":{"pivotalTrigger.dedupe.${ctx.main.nodeId}":{"v":2,"rev":"x.1","writers":{"x":[1,1]},"buckets":"garbage"}}}' WHERE id = '${ctx.main.id}';`,
		);
		const events = [sampleEvent(), sampleEvent()];
		const { result, executions } = await ctx.observe(
			ctx.main,
			() => Promise.all(events.map((event, i) => deliver(ctx, event, i))),
			{ atLeast: 2 },
		);
		assert.deepEqual(countBy(result), { '200 accepted': 2 }, 'answers on a corrupted store');
		assertNoneLost(executionsPerId(executions, events), 'on a corrupted store');
		const stored = await ctx.storedIds(
			ctx.main,
			events.map((event) => event.id),
		);
		// Both processes rewrite the store whole; whichever saved last holds at least its event.
		assert.ok(stored.rev, 'the store is readable again');
		assert.ok(stored.held.length >= 1, 'the rewritten store holds the new events');
	},
};

/** Skip Out-of-Order Events: the version one webhook process accepted reaches the other one. */
const orderingScenario = {
	name: 'Skip Out-of-Order Events: a newer event on one webhook process, an older one 5 s later on the other: stale, one execution',
	async run(ctx) {
		const flow = await ctx.addWorkflow('Pivotal e2e: queue, ordered', '*', { skipStale: true });
		const objectAt = (minute) =>
			sampleEvent({
				object: {
					id: 'cus_queue',
					updated_at: new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString(),
				},
			});
		const { result, executions } = await ctx.observe(
			flow,
			async () => {
				const newer = await deliver(ctx, objectAt(5), 0, newMessageId(), flow);
				await sleep(5000);
				return [newer, await deliver(ctx, objectAt(1), 1, newMessageId(), flow)];
			},
			{ atLeast: 1 },
		);
		assert.deepEqual(
			result.map((answer) => answer.json?.status),
			['accepted', 'stale'],
			'newer on one process, older on the other',
		);
		assert.equal(executions.length, 1, 'executions');
	},
};

/**
 * With Acknowledge "When the Workflow Succeeds", the worker runs the workflow and the webhook
 * process that took the delivery answers from its result. Every attempt of a message reaches
 * one process: a balancer routing by svix-id (`routed: false`), or any process with Route by
 * Event ID, each copy landing on the other process.
 */
function onSuccessScenario({ routed }) {
	return {
		name: `When the Workflow Succeeds, ${routed ? 'Route by Event ID, copies on both processes' : 'routed by svix-id'}: a failed run gets 500, copies of a ${SLOW_RUN_MS / 1000} s run get 409, then one success and duplicates`,
		async run(ctx) {
			const { flow, server } = await onSuccessWorkflow(ctx, {
				name: routed ? 'routed' : 'sticky',
				options: routed ? { routeToOneProcess: true } : {},
			});
			if (routed) await ctx.introduceProcesses(flow);
			const event = sampleEvent();
			const messageId = newMessageId();
			const processFor = (attempt) => (routed ? attempt % 2 : 0);
			const once = (attempt) =>
				ctx.send(event, { url: ctx.urlOn(flow, processFor(attempt)), messageId });

			server.status = 500;
			const failed = await ctx.observe(flow, () => once(0), { atLeast: 1 });
			assert.equal(failed.result.status, 500, `failed run: ${failed.result.text}`);
			assert.equal(failed.result.json?.status, 'failed');
			assert.equal(failed.executions.length, 1, 'one failed execution');

			server.status = 200;
			server.delayMs = SLOW_RUN_MS;
			let copies;
			try {
				copies = await ctx.observe(
					flow,
					() => Promise.all(Array.from({ length: 10 }, (_, attempt) => once(attempt))),
					{ atLeast: 1 },
				);
			} finally {
				server.delayMs = 0;
			}
			const counts = countBy(copies.result);
			ctx.report(`When the Workflow Succeeds in queue mode${routed ? ', routed' : ''}`, {
				answers: counts,
				executions: copies.executions.length,
			});
			assert.equal(counts['200 accepted'], 1, `answers: ${JSON.stringify(counts)}`);
			assert.equal(copies.executions.length, 1, 'one execution for the retry and its copies');
			assert.equal(copies.executions[0].status, 'success');
			const later = await Promise.all([once(0), once(1)]);
			assert.deepEqual(countBy(later), { '200 duplicate': 2 }, 'after the success');
		},
	};
}

/**
 * Route by Event ID, where one webhook process has only ever passed events on: it recorded
 * nothing, yet the other process must learn its address from the store and pass it the events
 * it owns. Event ids are picked by the package's own owner function (the built dist/).
 */
const forwarderScenario = {
	name: 'Route by Event ID: a webhook process that has passed every event on still gets the events it owns from the other one, so a retry there is a duplicate',
	async run(ctx) {
		const { ownerOf } = require(
			path.join(REPO_DIR, 'dist', 'nodes', 'Pivotal', 'delivery', 'eventOwner.js'),
		);
		const flow = await ctx.addWorkflow('Pivotal e2e: queue, forwarder', '*', {
			routeToOneProcess: true,
		});
		const [first, second] = ctx.webhooks.map((instance) => instance.baseUrl);
		const ownedBy = (owner) => {
			for (;;) {
				const event = sampleEvent();
				if (ownerOf(event.id, first, [second]) === owner) return event;
			}
		};
		const passedOn = Array.from({ length: 3 }, () => ownedBy(first));
		const opening = await ctx.observe(
			flow,
			async () => {
				// Process 0 stores the first event, knowing no peer; process 1 then learns of process 0
				// from the store, and passes every event it gets on to it.
				const answers = [await deliver(ctx, ownedBy(first), 0, newMessageId(), flow)];
				await sleep(PAST_SAVE_GRACE_MS);
				for (const event of passedOn) {
					answers.push(await deliver(ctx, event, 1, newMessageId(), flow));
				}
				return answers;
			},
			{ atLeast: 4 },
		);
		assert.deepEqual(countBy(opening.result), { '200 accepted': 4 }, 'opening deliveries');
		await sleep(PAST_SAVE_GRACE_MS);
		const event = ownedBy(second);
		const messageId = newMessageId();
		const copies = await ctx.observe(
			flow,
			async () => [
				await deliver(ctx, event, 0, messageId, flow),
				await deliver(ctx, event, 1, messageId, flow),
			],
			{ atLeast: 1 },
		);
		ctx.report('forwarder', {
			opening: countBy(opening.result),
			answers: copies.result.map((answer) => answer.json?.status),
			executions: copies.executions.length,
		});
		assert.deepEqual(
			copies.result.map((answer) => answer.json?.status),
			['accepted', 'duplicate'],
			'on process 0, then on process 1, which owns the event',
		);
		assert.equal(copies.executions.length, 1, 'executions of the event');
	},
};

module.exports = {
	queueScenarios: [
		...RETRY_GAPS_MS.map((gapMs) => retryScenario(gapMs)),
		...[5000, 1000, 0].map((gapMs) => retryScenario(gapMs, { routed: true })),
		stickyScenario,
		burstScenario(),
		burstScenario({ routed: true }),
		restartScenario,
		storeFailureScenario,
		unreadableStoreScenario,
		orderingScenario,
		onSuccessScenario({ routed: false }),
		onSuccessScenario({ routed: true }),
		forwarderScenario,
	],
};

// Appended after the suite above; its helpers are shared with the single-process scenarios.
const { releaseWorkflow } = require('./releaseScenarios');

/**
 * A release in queue mode: the workflow deactivated and activated again while both webhook
 * processes held its trigger's state. Retries then find nothing in either process's memory.
 */
const releaseScenario = {
	name: 'After a release: retries land on the other webhook process, then on the same one: duplicate, nothing runs',
	async run(ctx) {
		const flow = await ctx.addWorkflow('Pivotal e2e: queue, release', '*');
		const events = Array.from({ length: 3 }, () => sampleEvent());
		const messageIds = events.map(() => newMessageId());
		// One after the other on process 0, so every id is stored before the release.
		const accepted = await ctx.observe(
			flow,
			async () => {
				const answers = [];
				for (const [i, event] of events.entries()) {
					answers.push(await deliver(ctx, event, 0, messageIds[i], flow));
				}
				return answers;
			},
			{ atLeast: events.length },
		);
		assert.deepEqual(countBy(accepted.result), { '200 accepted': 3 }, 'first deliveries');
		assertNoneLost(executionsPerId(accepted.executions, events), 'first deliveries');
		const ids = events.map((event) => event.id);
		// A process saves the last ids it accepted with its next delivery once they are older than
		// the save grace (5 s, entryLog.ts): without one, a retry on the other process may run
		// again, release or not.
		const storedRightAfter = await ctx.storedIds(flow, ids);
		await sleep(PAST_SAVE_GRACE_MS);
		const oneMore = await ctx.observe(flow, () => deliver(ctx, events[2], 0, messageIds[2], flow));
		assert.equal(oneMore.result.json?.status, 'duplicate', `one more: ${oneMore.result.text}`);
		assert.equal(oneMore.executions.length, 0, 'executions started by one more delivery');
		const storedBefore = await ctx.storedIds(flow, ids);
		assert.equal(
			storedBefore.held.length,
			3,
			`ids stored before the release (rev ${storedBefore.rev})`,
		);

		await releaseWorkflow(ctx, flow);
		const retriesOn = async (which) =>
			await ctx.observe(flow, async () => {
				const answers = [];
				for (const [i, event] of events.entries()) {
					answers.push(await deliver(ctx, event, which, messageIds[i], flow));
				}
				return answers;
			});
		const other = await retriesOn(1);
		const same = await retriesOn(0);
		const storedAfter = await ctx.storedIds(flow, ids);
		ctx.report('release in queue mode', {
			otherProcess: countBy(other.result),
			otherExecutions: other.executions.length,
			sameProcess: countBy(same.result),
			sameExecutions: same.executions.length,
			stored: `right after ${storedRightAfter.held.length}/3 rev ${storedRightAfter.rev}, before the release ${storedBefore.held.length}/3 rev ${storedBefore.rev}, after ${storedAfter.held.length}/3 rev ${storedAfter.rev}`,
		});
		assert.deepEqual(countBy(other.result), { '200 duplicate': 3 }, 'retries on the other process');
		assert.equal(other.executions.length, 0, 'executions started on the other process');
		assert.deepEqual(countBy(same.result), { '200 duplicate': 3 }, 'retries on the same process');
		assert.equal(same.executions.length, 0, 'executions started on the same process');

		// Both processes serve the workflow after the release: a new event runs, once.
		const fresh = sampleEvent();
		const after = await ctx.observe(flow, () => deliver(ctx, fresh, 1, newMessageId(), flow), {
			atLeast: 1,
		});
		assert.equal(after.result.json?.status, 'accepted', `a new event: ${after.result.text}`);
		assert.equal(after.executions.length, 1, 'executions for a new event after the release');
	},
};

module.exports.queueReleaseScenarios = [releaseScenario];
