'use strict';

/** B4's section of BENCHMARKS.md and its charts, from what bench/n8n.js measured. */

const { formatFixed, formatInt, verdict } = require('./measure');
const { provenance, table, writeChart } = require('./report');
const { barChart } = require('./svg');

const COLUMNS = [
	'engine',
	'trigger',
	'executions/s',
	'answers/s',
	'p50',
	'p99',
	'n8n CPU / delivery',
	'n8n CPU',
	'backlog',
	'isolates / delivery',
	'executions / answers',
	'errors',
	'vs Webhook node',
];

function engineRows(results, sides) {
	return results.flatMap(({ engine, sides: measured, summaries, ratioOf }) =>
		measured.map((side) => {
			const s = summaries[side];
			return [
				`\`${engine}\``,
				sides[side].label,
				`${formatFixed(s.executionsPerSecond, 1)} (${s.windows})`,
				formatFixed(s.acksPerSecond, 1),
				`${formatFixed(s.p50, 0)} ms`,
				`${formatFixed(s.p99, 0)} ms`,
				`${formatFixed(s.cpuMs, 1)} ms`,
				`${formatFixed(s.cpuShare * 100, 0)} %`,
				`${formatFixed(s.backlog, 1)} s`,
				formatFixed(s.isolates),
				`${formatInt(s.finished)} / ${formatInt(s.acked)}`,
				String(s.errors),
				side === 'webhook' ? '' : `**${formatFixed(ratioOf(side))}x**`,
			];
		}),
	);
}

function charts(results, sides) {
	const order = Object.keys(sides);
	const throughput = writeChart(
		'b4-n8n',
		barChart({
			title: 'B4: finished executions per second, per expression engine',
			unit: 'executions per second',
			series: order.map((side) => sides[side].label),
			groups: results.map((r) => ({
				label: `${r.engine}`,
				values: order.map((side) => r.summaries[side]?.executionsPerSecond ?? 0),
			})),
		}),
		'B4 bar chart: executions per second of each trigger, per expression engine',
	);
	const [legacy] = results;
	const latency = writeChart(
		'b4-latency',
		barChart({
			title: 'B4: response latency (legacy engine)',
			unit: 'ms',
			series: legacy.sides.map((side) => sides[side].label),
			groups: ['p50', 'p99'].map((p) => ({
				label: p,
				values: legacy.sides.map((side) => legacy.summaries[side][p]),
			})),
		}),
		'B4 bar chart: p50 and p99 response latency per trigger, legacy engine',
	);
	return [throughput, latency];
}

function b4Report({
	command,
	versions,
	loadBefore,
	results,
	memory,
	restart,
	stored,
	storeBytes,
	shape,
}) {
	const { SENDERS, BODY_BYTES, SEEDED_IDS, MILLION_IDS, SIDES } = shape;
	const { WINDOW_SECONDS, WARMUP_SECONDS, RESTARTS } = shape;
	const [legacyRun, vmRun, lazyRun] = results;
	const legacy = legacyRun.summaries;
	const lazy = lazyRun.summaries;
	const ratio = legacyRun.ratioOf('pivotal');
	const floorShare = legacy.pivotal.cpuMs / legacy.floor.cpuMs;
	const everyRun = ['pivotal', 'million'].every(
		(side) => legacy[side].finished === legacy[side].acked && legacy[side].errors === 0,
	);
	const p99Share = legacy.pivotal.p99 / legacy.webhook.p99;
	const perId = {
		hundredK: storeBytes.pivotal / SEEDED_IDS,
		million: storeBytes.million / MILLION_IDS,
	};
	const [throughputChart, latencyChart] = charts(results, SIDES);
	return [
		'## B4 — real n8n: sustained deliveries per second',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		'One n8n with six active workflows of the same shape, trigger → No Operation: the Pivotal',
		`Trigger with its static data seeded with ${formatInt(SEEDED_IDS)} ids (the default cap, so every new id`,
		`also evicts the oldest) and with ${formatInt(MILLION_IDS)} (Max Stored IDs ${formatInt(MILLION_IDS)}), both spread over the`,
		"past week's hours as a busy endpoint's are; the floor, a copy of the package made by the bench",
		'whose node never writes its store (so n8n never saves static data; it is in no shipped file);',
		"the same trigger saved as version 1; an empty store (the control); and n8n's Webhook node",
		`(POST, respond immediately). ${SENDERS} senders on keep-alive connections, ${formatInt(BODY_BYTES)}-byte JSON`,
		'bodies, each Pivotal delivery a new signed event id. Per engine (n8n restarted in between):',
		`${WARMUP_SECONDS} s warm-up per workflow, then two rounds of ${WINDOW_SECONDS} s windows, one workflow at a time`,
		'in the order of the table. Throughput is the executions the window started that finished',
		"successfully (counted in n8n's database), divided by the time from the window's start to the",
		"last one's end, so executions still queued when the senders stop count against the trigger",
		"(*backlog*); median of the windows, each window's figure in brackets. Latency is the sender's",
		"time to the whole answer, over all windows. n8n CPU is n8n's process group",
		'(`/proc/<pid>/stat`) until the backlog is done, per answered delivery. Isolates are what',
		"n8n's expression engine reports building (`n8n_expression_pool_acquired_total` on `/metrics`),",
		'per answered delivery; the legacy engine builds none.',
		'',
		table(COLUMNS, engineRows(results, SIDES)),
		'',
		'**Targets** (legacy engine, 100,000 ids, unless said):',
		'',
		`- Writes amortized: n8n CPU per delivery ${formatFixed(legacy.pivotal.cpuMs, 1)} ms against ${formatFixed(legacy.floor.cpuMs, 1)} ms for the floor that never`,
		`  writes, ${formatFixed(floorShare)}x (target <= 1.1x): ${verdict(floorShare <= 1.1)}. Throughput ${formatFixed(ratio)}x the Webhook node's`,
		`  (target >= 0.60x): ${verdict(ratio >= 0.6)}. Every answered delivery ran (executions = answers, no errors, at`,
		`  100,000 and 1,000,000 ids): ${verdict(everyRun)}. p99 ${formatFixed(legacy.pivotal.p99, 0)} ms against the Webhook node's ${formatFixed(legacy.webhook.p99, 0)} ms, ${formatFixed(p99Share)}x`,
		`  (target <= 1.5x): ${verdict(p99Share <= 1.5)}.`,
		`- Bytes per id: ${formatFixed(perId.hundredK)} B of static data per id at ${formatInt(SEEDED_IDS)} ids and ${formatFixed(perId.million)} B at`,
		`  ${formatInt(MILLION_IDS)} (as seeded; after the run the database held ${formatInt(stored.pivotal)} and ${formatInt(stored.million)} bytes of`,
		`  static data for them) (target <= 8 B): ${verdict(perId.hundredK <= 8 && perId.million <= 8)}. Throughput at 100,000 ids >= 0.70x: ${verdict(ratio >= 0.7)}.`,
		`- ${formatInt(MILLION_IDS)} ids: ${formatFixed(legacyRun.ratioOf('million'))}x the Webhook node (${formatFixed(legacy.million.cpuMs, 1)} ms of n8n CPU per delivery, p99`,
		`  ${formatFixed(legacy.million.p99, 0)} ms).`,
		`- n8n's default engine: \`vm\` ${formatFixed(vmRun.ratioOf('pivotal'))}x the Webhook node (${formatFixed(vmRun.summaries.pivotal.isolates)} isolates per delivery); \`vm\` with`,
		`  \`N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true\` ${formatFixed(lazyRun.ratioOf('pivotal'))}x (${formatFixed(lazy.pivotal.isolates)} isolates per delivery; the same trigger`,
		`  saved as version 1, for which n8n evaluates an expression per request: ${formatFixed(lazyRun.ratioOf('versionOne'))}x, ${formatFixed(lazy.versionOne.isolates)}`,
		`  isolates per delivery). No isolate built for version 2 under lazy acquisition: ${verdict(lazy.pivotal.isolates === 0)}.`,
		`- Memory (median of ${RESTARTS} restarts): n8n's resident memory grew ${formatFixed(memory.perIdHundredK, 1)} B per stored id when the ${formatInt(SEEDED_IDS)}-id store`,
		`  was first read and ${formatFixed(memory.perIdMillion, 1)} B per id for the ${formatInt(MILLION_IDS)}-id one (n8n's own copies of static data included).`,
		`- After a restart (median of ${RESTARTS} restarts): the first signed delivery to the ${formatInt(MILLION_IDS)}-id store, which reads it`,
		`  in slices between other requests, took ${formatFixed(restart.first, 0)} ms (the next one ${formatFixed(restart.second, 0)} ms). Requests to another`,
		`  workflow sent every 20 ms meanwhile waited at most ${formatFixed(restart.longestProbe, 0)} ms, and ${formatFixed(restart.longestProbeSecond, 0)} ms during the next delivery,`,
		`  which reads nothing: that much is n8n's own handling of a workflow with ${formatInt(MILLION_IDS)} ids (first delivery /`,
		`  longest wait / longest wait during the next, per restart: ${restart.rounds} ms). Target: no request waits more`,
		`  than ~100 ms for the read, so the longest wait is at most 100 ms or no longer than during the next delivery:`,
		`  ${verdict(restart.longestProbe <= Math.max(100, restart.longestProbeSecond))}.`,
		'',
		throughputChart,
		'',
		latencyChart,
	].join('\n');
}

module.exports = { b4Report };
