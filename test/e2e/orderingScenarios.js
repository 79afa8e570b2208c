'use strict';

/**
 * Skip Out-of-Order Events in real n8n: events about one object, delivered out of order, in
 * parallel and across a restart; and the same events with the option off.
 */

const assert = require('node:assert/strict');

const { sampleEvent } = require('../../scripts/lib/signing');
const { triggerOutput } = require('../../scripts/lib/workflows');
const { executionsPerEvent, sendUntilAnswered } = require('./acknowledgeScenarios');
const { countBy } = require('./scenarios');

const PARALLEL = 20;

/** An event about `objectId` at `minute` past 10:00 on a fixed day. */
function about(objectId, minute) {
	const updatedAt = new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();
	return sampleEvent({ type: 'customer.updated', object: { id: objectId, updated_at: updatedAt } });
}

function newObjectId() {
	return `cus_${Math.random().toString(36).slice(2, 10)}`;
}

async function orderedWorkflow(ctx, label) {
	return await ctx.addWorkflow(`Pivotal e2e: ordered (${label})`, '*', { skipStale: true });
}

/** Sends `events` to `workflow` one after the other; what ctx.observe saw. */
async function sendInTurn(ctx, workflow, events, atLeast) {
	return await ctx.observe(
		workflow,
		async () => {
			const answers = [];
			for (const event of events) {
				answers.push(await ctx.send(event, { url: workflow.urls.production }));
			}
			return answers;
		},
		{ atLeast },
	);
}

/** The versions (updated_at) the executions ran with, oldest execution first. */
function versionsRun(executions) {
	return [...executions]
		.sort((a, b) => Number(a.id) - Number(b.id))
		.map((execution) => triggerOutput(execution)?.data?.object?.updated_at);
}

/** @type {Array<{ name: string, run: (ctx: import('./context').E2eContext) => Promise<void> }>} */
const orderingScenarios = [
	{
		name: 'Skip Out-of-Order Events: newer then older is one execution and "stale"; older then newer is two',
		async run(ctx) {
			const flow = await orderedWorkflow(ctx, 'pairs');
			const object = newObjectId();
			const newerFirst = await sendInTurn(ctx, flow, [about(object, 5), about(object, 1)], 1);
			assert.deepEqual(
				newerFirst.result.map((response) => response.json?.status),
				['accepted', 'stale'],
				'newer, then older',
			);
			assert.deepEqual(versionsRun(newerFirst.executions), ['2026-12-01T10:05:00.000Z']);

			const other = newObjectId();
			const olderFirst = await sendInTurn(ctx, flow, [about(other, 1), about(other, 5)], 2);
			assert.deepEqual(countBy(olderFirst.result), { '200 accepted': 2 }, 'older, then newer');
			assert.deepEqual(versionsRun(olderFirst.executions), [
				'2026-12-01T10:01:00.000Z',
				'2026-12-01T10:05:00.000Z',
			]);
			ctx.report('Skip Out-of-Order Events, pairs', {
				newerFirst: newerFirst.result.map((response) => response.json?.status),
				olderFirst: olderFirst.result.map((response) => response.json?.status),
			});
		},
	},
	{
		name: `Skip Out-of-Order Events: ${PARALLEL} parallel events about one object, shuffled: the highest runs, never one older than a run before it`,
		async run(ctx) {
			const flow = await orderedWorkflow(ctx, 'parallel');
			const url = flow.urls.production;
			const object = newObjectId();
			const events = Array.from({ length: PARALLEL }, (_, minute) => about(object, minute + 1));
			const shuffled = [...events].sort(() => Math.random() - 0.5);
			// Like Pivotal: a 409 (an event waiting while another about its object is under way) is
			// retried. One is under way at a time, so executions are created in the order accepted.
			const { result, executions } = await ctx.observe(
				flow,
				() =>
					Promise.all(
						shuffled.map((event) => sendUntilAnswered(ctx, event, url, { pauseMs: 500 })),
					),
				{ atLeast: 1 },
			);
			const ran = versionsRun(executions);
			const answers = countBy(result);
			ctx.report(`Skip Out-of-Order Events, ${PARALLEL} in parallel`, {
				answers,
				executions: ran.length,
			});
			const highest = events[PARALLEL - 1].data.object.updated_at;
			assert.equal(ran.at(-1), highest, `the last run is the highest version: ${ran.join(', ')}`);
			assert.deepEqual(ran, [...ran].sort(), `versions ran in increasing order: ${ran.join(', ')}`);
			assert.equal(new Set(ran).size, ran.length, 'no version ran twice');
			assert.equal(
				(answers['200 accepted'] ?? 0) + (answers['200 stale'] ?? 0),
				PARALLEL,
				JSON.stringify(answers),
			);
			assert.equal(answers['200 accepted'], ran.length, 'every accepted event ran');

			const redelivered = await ctx.observe(flow, () =>
				Promise.all(events.slice(0, -1).map((event) => ctx.send(event, { url }))),
			);
			assert.deepEqual(
				countBy(redelivered.result),
				{ [`200 stale`]: PARALLEL - 1 },
				'redeliveries',
			);
			assert.equal(redelivered.executions.length, 0, 'no redelivery ran');
		},
	},
	{
		name: 'Skip Out-of-Order Events: versions survive an n8n restart; with the option off every event runs',
		async run(ctx) {
			const flow = await orderedWorkflow(ctx, 'restart');
			const url = flow.urls.production;
			const object = newObjectId();
			const accepted = await ctx.send(about(object, 30), { url });
			assert.deepEqual(accepted.json, { status: 'accepted' }, accepted.text);
			await executionsPerEvent(ctx, flow, { atLeast: 1 });
			await ctx.restart({ workflows: [flow] });
			const afterRestart = await ctx.observe(flow, () => ctx.send(about(object, 29), { url }));
			assert.deepEqual(afterRestart.result.json, { status: 'stale' }, afterRestart.result.text);
			assert.equal(afterRestart.executions.length, 0);

			const off = await sendInTurn(ctx, ctx.main, [about(object, 30), about(object, 29)], 2);
			assert.deepEqual(countBy(off.result), { '200 accepted': 2 }, 'option off');
			assert.equal(off.executions.length, 2);
		},
	},
];

module.exports = { orderingScenarios };
