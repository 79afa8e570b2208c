'use strict';

/**
 * B1 and B2: the node's work per delivery (raw body → verify → parse → filter → dedupe → item,
 * i.e. the delivery pass as PivotalTrigger.webhook() makes it) against the reference a user would
 * write with the svix library, `new Webhook(secret).verify(body, headers)`, on the same signed
 * deliveries in the same process, interleaved round by round.
 */

const { Webhook } = require('svix');

const { newSecret } = require('../scripts/lib/signing');
const {
	RETENTION_HOURS,
	builtModules,
	defaultSettings,
	filledLedger,
	filledVersionLedger,
	orderedSettings,
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
	const modules = builtModules();
	const { delivery, dedupeLedger } = modules;
	const secret = newSecret();
	const nowSeconds = Math.floor(Date.now() / 1000);
	const sizes = [
		{ label: '2 KB', bytes: 2048, perRound: 1000, target: 1.0 },
		{ label: '64 KB', bytes: 65536, perRound: 100, target: 0.5 },
	];
	// The dedupe store's cost depends on how many hours it spans: a fresh store has one, any
	// endpoint that has received an event an hour for a week has 168 (see B2).
	const week = (name) => filledLedger(dedupeLedger.DedupeLedger, 1_000, nowSeconds, name);
	const stores = {
		week: () => ({ ledger: week('bench-b1-week') }),
		fresh: () => ({ ledger: new dedupeLedger.DedupeLedger('bench-b1-fresh') }),
		// Skip Out-of-Order Events on: a week of ids and the 1,000 objects they were about.
		ordered: () => ({
			ledger: week('bench-b1-ordered'),
			versionLedger: filledVersionLedger(modules, 1_000, nowSeconds, 'bench-b1-ordered'),
			settings: orderedSettings(DEFAULT_CAP),
		}),
	};
	const rows = [];
	for (const size of sizes) {
		const deliveries = signedDeliveries(
			size.perRound * (ROUNDS + WARMUP_ROUNDS),
			size.bytes,
			secret,
		);
		const sides = Object.entries(stores).map(([name, store]) =>
			pivotalSide(
				name,
				deliveries,
				size.perRound,
				pivotalHandler({
					receiveDelivery: delivery.receiveDelivery,
					secret,
					settings: defaultSettings(DEFAULT_CAP),
					...store(),
				}),
			),
		);
		const result = interleave([...sides, svixSide(deliveries, size.perRound, secret)], {
			rounds: ROUNDS,
			warmupRounds: WARMUP_ROUNDS,
		});
		const ratio = result.week.nsPerOp / result.svix.nsPerOp;
		const freshRatio = result.fresh.nsPerOp / result.svix.nsPerOp;
		const orderedRatio = result.ordered.nsPerOp / result.svix.nsPerOp;
		rows.push({
			...size,
			result,
			ratio,
			freshRatio,
			orderedRatio,
			body: deliveries[0].body.length,
		});
		log(
			`B1 ${size.label}: ${formatFixed(ratio)}x of svix (fresh store ${formatFixed(freshRatio)}x, Skip Out-of-Order Events ${formatFixed(orderedRatio)}x)`,
		);
	}
	const chart = writeChart(
		'b1-handler',
		barChart({
			title: 'B1: cost per delivery (lower is better)',
			unit: 'µs per delivery',
			series: [
				'Pivotal Trigger, a week of ids',
				'Pivotal Trigger, fresh store',
				'Pivotal Trigger, Skip Out-of-Order Events',
				'svix verify()',
			],
			groups: rows.map((row) => ({
				label: `${row.label} body`,
				values: ['week', 'fresh', 'ordered', 'svix'].map((side) => row.result[side].nsPerOp / 1000),
			})),
		}),
		'B1 bar chart: microseconds per delivery, Pivotal Trigger against svix verify()',
	);
	const cell = (side) => `${formatMicros(side.nsPerOp)} (${formatInt(side.opsPerSecond)}/s)`;
	return [
		'## B1 — handler cost per delivery',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		'Each delivery is a new signed event (new id) with the default settings (events `*`, whole',
		'event, 7 days, cap 100,000), fed to the built delivery pass as `webhook()` makes it, with',
		"the process's ledger holding a week of ids (1,000 ids over 168 hours: the steady state of any",
		'endpoint that gets an event an hour) or fresh (empty). The reference verifies the same',
		`deliveries. Median of ${ROUNDS} interleaved rounds after ${WARMUP_ROUNDS} warm-up rounds; the ratio is`,
		'Pivotal time ÷ svix time, so below 1 is faster than the reference. The target is judged on',
		"the week-old store; the gap between the first two Pivotal columns is the dedupe store's work",
		'per delivery, which grows with the hour buckets it spans (B2). The third has *Skip',
		'Out-of-Order Events* on: the week of ids plus the 1,000 objects they were about, each',
		'delivery about an object of its own with an ISO 8601 `updated_at`.',
		'',
		table(
			[
				'body',
				'Pivotal, a week of ids',
				'Pivotal, fresh store',
				'Pivotal, Skip Out-of-Order Events',
				'svix `verify()`',
				'ratio',
				'ratio, fresh',
				'ratio, Skip Out-of-Order Events',
				'target',
				'result',
			],
			rows.map((row) => [
				`${formatInt(row.body)} B`,
				cell(row.result.week),
				cell(row.result.fresh),
				cell(row.result.ordered),
				cell(row.result.svix),
				`${formatFixed(row.ratio)}x`,
				`${formatFixed(row.freshRatio)}x`,
				`${formatFixed(row.orderedRatio)}x`,
				`<= ${formatFixed(row.target, 1)}x`,
				verdict(row.ratio <= row.target),
			]),
		),
		'',
		chart,
	].join('\n');
}

/** What n8n does with the store on every delivery that changes it: serialize, and load it back. */
function n8nShare(ledger, versionLedger) {
	const global = { 'pivotalTrigger.dedupe.bench': ledger.persistent() };
	if (versionLedger) global['pivotalTrigger.versions.bench'] = versionLedger.persistent();
	const staticData = { global };
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
	const modules = builtModules();
	const { delivery, dedupeLedger } = modules;
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
		hours: RETENTION_HOURS,
		maxIds: ids + headroom,
	}));
	// The longest retention the node allows, 90 days: the same ids over 2,160 hour buckets.
	levels.push({
		label: '100,000 over 90 days',
		ids: 100_000,
		hours: 2160,
		maxIds: 100_000 + headroom,
	});
	// Skip Out-of-Order Events on, every stored id's event about an object of its own.
	for (const ids of [100_000, 1_000_000]) {
		levels.push({
			label: `${formatInt(ids)}, Skip Out-of-Order Events with ${formatInt(ids)} objects`,
			ids,
			objects: ids,
			hours: RETENTION_HOURS,
			maxIds: ids + headroom,
		});
	}
	for (const level of levels) {
		const { ms, result } = timeOnce(() =>
			filledLedger(
				dedupeLedger.DedupeLedger,
				level.ids,
				nowSeconds,
				`bench-b2-${level.label}`,
				level.hours,
			),
		);
		level.ledger = result;
		if (level.objects) {
			level.versionLedger = filledVersionLedger(
				modules,
				level.objects,
				nowSeconds,
				`bench-b2-${level.label}`,
				level.hours,
			);
		}
		log(`B2 filled ${level.label} ids in ${Math.round(ms)} ms`);
	}
	// At the cap every new id evicts the oldest one: the steady state of a busy endpoint.
	const atCap = [100_000, 1_000_000].map((ids) => {
		const ledger = new dedupeLedger.DedupeLedger(`bench-b2-cap-${ids}`);
		const full = levels.find((level) => level.label === formatInt(ids)).ledger;
		ledger.sync(JSON.parse(JSON.stringify(full.persistent())), Math.floor(Date.now() / 1000));
		return {
			label: `${formatInt(ids)} at the cap`,
			ids,
			hours: RETENTION_HOURS,
			maxIds: ids,
			ledger,
		};
	});
	const all = [...levels, ...atCap];
	const sides = all.map((level) =>
		pivotalSide(
			level.label,
			deliveries,
			perRound,
			pivotalHandler({
				receiveDelivery: delivery.receiveDelivery,
				ledger: level.ledger,
				versionLedger: level.versionLedger,
				secret,
				settings: (level.objects ? orderedSettings : defaultSettings)(level.maxIds, level.hours),
			}),
		),
	);
	const result = interleave([...sides, svixSide(deliveries, perRound, secret)], {
		rounds,
		warmupRounds,
	});
	const base = result[formatInt(1_000)].nsPerOp;
	const rows = all.map((level) => {
		const share = n8nShare(level.ledger, level.versionLedger);
		const ns = result[level.label].nsPerOp;
		return { ...level, ns, share, vsBase: ns / base, vsSvix: ns / result.svix.nsPerOp };
	});
	const million = rows.find((row) => row.label === formatInt(1_000_000));
	log(`B2 1M vs 1k: ${formatFixed(million.vsBase)}x`);

	const plain = rows.filter((row) => /^[\d,]+$/.test(row.label));
	const chart = writeChart(
		'b2-growth',
		lineChart({
			title: "B2: the node's cost per delivery by ids stored (2 KB body)",
			unit: 'µs per delivery',
			categories: plain.map((row) => row.label),
			series: [
				{ name: 'Pivotal Trigger', values: plain.map((row) => row.ns / 1000) },
				{ name: 'svix verify()', values: plain.map(() => result.svix.nsPerOp / 1000) },
			],
		}),
		"B2 line chart: the node's microseconds per delivery against ids stored",
	);
	// On the node's scale n8n's share would be a wall: it gets its own chart, in milliseconds.
	const n8nChart = writeChart(
		'b2-n8n-share',
		barChart({
			title: "B2: n8n's JSON of the whole static data, per delivery",
			unit: 'ms per delivery',
			series: ['JSON.stringify (save)', 'JSON.parse (load)'],
			groups: plain.map((row) => ({
				label: row.label,
				values: [row.share.stringifyMs, row.share.parseMs],
			})),
		}),
		"B2 bar chart: milliseconds n8n spends serializing and parsing the store's static data",
	);
	return [
		'## B2 — growth: cost per delivery by ids stored',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		'2 KB deliveries, each a new id, into ledgers pre-filled with the ids in the first column',
		'spread over the 168 hour buckets of the default 7-day retention (one row: 90 days, 2,160',
		`buckets); cap = ids + ${formatInt(headroom)} (no eviction) except in the "at the cap" rows, where`,
		"every delivery evicts the oldest id. Each ledger gains the run's new ids in the current hour.",
		'The *Skip Out-of-Order Events* rows also hold one version per stored id, each about an',
		'object of its own, and every delivery is about a new object (the static data column then',
		'counts both stores).',
		`All ledgers and the svix reference run interleaved in one loop: median of ${rounds} rounds of`,
		`${perRound} deliveries.`,
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
		"node's own work does not grow with the ids; it grows with the number of hour buckets the",
		'store spans (0 ids: one bucket; 90 days: 2,160).',
		'',
		chart,
		'',
		n8nChart,
	].join('\n');
}

module.exports = { runB1, runB2 };
