'use strict';

/**
 * B1 and B2: the node's work per delivery (raw body → verify → parse → filter → dedupe → item,
 * i.e. receiveDelivery as PivotalTrigger.webhook() calls it) against the reference a user would
 * write with the svix library, `new Webhook(secret).verify(body, headers)`, on the same signed
 * deliveries in the same process, interleaved round by round.
 */

const { Webhook } = require('svix');

const { newSecret } = require('../scripts/lib/signing');
const {
	builtModules,
	defaultSettings,
	filledLedger,
	pivotalHandler,
	signedDeliveries,
} = require('./lib/deliveries');
const {
	formatFixed,
	formatInt,
	formatMicros,
	interleave,
	machineLoad,
	median,
	timeOnce,
	verdict,
} = require('./lib/measure');
const { provenance, table, writeChart } = require('./lib/report');
const { barChart, lineChart } = require('./lib/svg');

const ROUNDS = 15;
const WARMUP_ROUNDS = 3;
const DEFAULT_CAP = 100_000;

function svixSide(deliveries, perRound, secret) {
	return {
		name: 'svix',
		batch: (round) => {
			for (let i = 0; i < perRound; i++) {
				const { body, headers } = deliveries[round * perRound + i];
				new Webhook(secret).verify(body, headers);
			}
			return perRound;
		},
	};
}

function pivotalSide(name, deliveries, perRound, handle) {
	return {
		name,
		batch: (round) => {
			for (let i = 0; i < perRound; i++) handle(deliveries[round * perRound + i]);
			return perRound;
		},
	};
}

function runB1({ command, versions, log }) {
	const loadBefore = machineLoad();
	const { delivery, dedupeStore } = builtModules();
	const secret = newSecret();
	const sizes = [
		{ label: '2 KB', bytes: 2048, perRound: 1000, target: 1.0 },
		{ label: '64 KB', bytes: 65536, perRound: 100, target: 0.5 },
	];
	const rows = [];
	for (const size of sizes) {
		const deliveries = signedDeliveries(
			size.perRound * (ROUNDS + WARMUP_ROUNDS),
			size.bytes,
			secret,
		);
		const handle = pivotalHandler({
			receiveDelivery: delivery.receiveDelivery,
			ledger: new dedupeStore.DedupeLedger('bench-b1'),
			secret,
			settings: defaultSettings(DEFAULT_CAP),
		});
		const result = interleave(
			[
				pivotalSide('pivotal', deliveries, size.perRound, handle),
				svixSide(deliveries, size.perRound, secret),
			],
			{ rounds: ROUNDS, warmupRounds: WARMUP_ROUNDS },
		);
		const ratio = result.pivotal.nsPerOp / result.svix.nsPerOp;
		rows.push({ ...size, result, ratio, body: deliveries[0].body.length });
		log(`B1 ${size.label}: ${formatFixed(ratio)}x of svix`);
	}
	const chart = writeChart(
		'b1-handler',
		barChart({
			title: 'B1: cost per delivery (lower is better)',
			unit: 'µs per delivery',
			series: ['Pivotal Trigger: verify → parse → filter → dedupe → item', 'svix verify()'],
			groups: rows.map((row) => ({
				label: `${row.label} body`,
				values: [row.result.pivotal.nsPerOp / 1000, row.result.svix.nsPerOp / 1000],
			})),
		}),
		'B1 bar chart: microseconds per delivery, Pivotal Trigger against svix verify()',
	);
	return [
		'## B1 — handler cost per delivery',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		'Each delivery is a new signed event (new id) with the default settings (events `*`, whole',
		'event, 7 days, cap 100,000), fed to the built `receiveDelivery` as `webhook()` calls it.',
		`Median of ${ROUNDS} interleaved rounds after ${WARMUP_ROUNDS} warm-up rounds; the ratio is`,
		'Pivotal time ÷ svix time, so below 1 is faster than the reference.',
		'',
		table(
			['body', 'Pivotal Trigger', 'svix `verify()`', 'ratio', 'target', 'result'],
			rows.map((row) => [
				`${formatInt(row.body)} B`,
				`${formatMicros(row.result.pivotal.nsPerOp)} (${formatInt(row.result.pivotal.opsPerSecond)}/s)`,
				`${formatMicros(row.result.svix.nsPerOp)} (${formatInt(row.result.svix.opsPerSecond)}/s)`,
				`${formatFixed(row.ratio)}x`,
				`<= ${formatFixed(row.target, 1)}x`,
				verdict(row.ratio <= row.target),
			]),
		),
		'',
		chart,
	].join('\n');
}

/** What n8n does with the store on every delivery that changes it: serialize, and load it back. */
function n8nShare(ledger) {
	const staticData = { global: { 'pivotalTrigger.dedupe.bench': ledger.persistent() } };
	const stringify = [];
	const parse = [];
	let bytes = 0;
	for (let i = 0; i < 7; i++) {
		const written = timeOnce(() => JSON.stringify(staticData));
		bytes = written.result.length;
		stringify.push(written.ms);
		parse.push(timeOnce(() => JSON.parse(written.result)).ms);
	}
	return { bytes, stringifyMs: median(stringify), parseMs: median(parse) };
}

function runB2({ command, versions, log }) {
	const loadBefore = machineLoad();
	const { delivery, dedupeStore } = builtModules();
	const secret = newSecret();
	const perRound = 500;
	const rounds = 12;
	const warmupRounds = 2;
	const nowSeconds = Math.floor(Date.now() / 1000);
	const deliveries = signedDeliveries(perRound * (rounds + warmupRounds), 2048, secret);
	const headroom = deliveries.length + 1;

	const levels = [0, 1_000, 10_000, 100_000, 1_000_000].map((ids) => ({
		label: formatInt(ids),
		ids,
		maxIds: ids + headroom,
	}));
	const filled = new Map();
	for (const level of levels) {
		const { ms, result } = timeOnce(() =>
			filledLedger(dedupeStore.DedupeLedger, level.ids, nowSeconds, `bench-b2-${level.ids}`),
		);
		filled.set(level.ids, result);
		log(`B2 filled ${level.label} ids in ${Math.round(ms)} ms`);
	}
	// At the cap every new id evicts the oldest one: the steady state of a busy endpoint.
	const atCap = [100_000, 1_000_000].map((ids) => {
		const ledger = new dedupeStore.DedupeLedger(`bench-b2-cap-${ids}`);
		ledger.absorb(JSON.parse(JSON.stringify(filled.get(ids).persistent())));
		return { label: `${formatInt(ids)} at the cap`, ids, maxIds: ids, ledger };
	});
	const all = [...levels.map((level) => ({ ...level, ledger: filled.get(level.ids) })), ...atCap];
	const sides = all.map((level) =>
		pivotalSide(
			level.label,
			deliveries,
			perRound,
			pivotalHandler({
				receiveDelivery: delivery.receiveDelivery,
				ledger: level.ledger,
				secret,
				settings: defaultSettings(level.maxIds),
			}),
		),
	);
	const result = interleave([...sides, svixSide(deliveries, perRound, secret)], {
		rounds,
		warmupRounds,
	});
	const base = result[formatInt(1_000)].nsPerOp;
	const rows = all.map((level) => {
		const share = n8nShare(level.ledger);
		const ns = result[level.label].nsPerOp;
		return { ...level, ns, share, vsBase: ns / base, vsSvix: ns / result.svix.nsPerOp };
	});
	const million = rows.find((row) => row.label === formatInt(1_000_000));
	log(`B2 1M vs 1k: ${formatFixed(million.vsBase)}x`);

	const plain = rows.filter((row) => !row.label.includes('cap'));
	const chart = writeChart(
		'b2-growth',
		lineChart({
			title: 'B2: cost per delivery by ids stored (2 KB body)',
			unit: 'µs per delivery',
			categories: plain.map((row) => row.label),
			series: [
				{ name: 'Pivotal Trigger (node)', values: plain.map((row) => row.ns / 1000) },
				{
					name: "n8n's JSON of the store",
					values: plain.map((row) => (row.share.stringifyMs + row.share.parseMs) * 1000),
				},
				{ name: 'svix verify()', values: plain.map(() => result.svix.nsPerOp / 1000) },
			],
		}),
		'B2 line chart: microseconds per delivery against ids stored',
	);
	return [
		'## B2 — growth: cost per delivery by ids stored',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		`2 KB deliveries, each a new id, into ledgers pre-filled with ids spread over the 168 hours`,
		`of the default retention; cap = ids + ${formatInt(headroom)} (no eviction) except in the`,
		'"at the cap" rows, where every delivery evicts the oldest id. All ledgers and the svix',
		`reference run interleaved in one loop: median of ${rounds} rounds of ${perRound} deliveries.`,
		'',
		table(
			[
				'ids stored',
				'Pivotal Trigger',
				'vs 1,000 ids',
				'vs svix',
				"n8n's save + load of static data",
				'static data',
			],
			rows.map((row) => [
				row.label,
				formatMicros(row.ns),
				`${formatFixed(row.vsBase)}x`,
				`${formatFixed(row.vsSvix)}x`,
				`${formatFixed(row.share.stringifyMs, 3)} + ${formatFixed(row.share.parseMs, 3)} ms`,
				`${formatInt(row.share.bytes)} B`,
			]),
		),
		'',
		`svix \`verify()\` in the same loop: ${formatMicros(result.svix.nsPerOp)}.`,
		'',
		`Target: 1,000,000 ids cost <= 1.2x of 1,000 ids: ${formatFixed(million.vsBase)}x, ${verdict(million.vsBase <= 1.2)}.`,
		'',
		"The last two columns are n8n's share, not the node's: n8n loads the workflow's static data",
		'for every request and, when a delivery records an id, serializes and writes all of it',
		'(`JSON.stringify` / `JSON.parse` of the whole static data, timed here on the same machine;',
		"the database write comes on top, see B4). That share grows with the store's size; the",
		"node's own work does not.",
		'',
		chart,
	].join('\n');
}

module.exports = { runB1, runB2 };
