'use strict';

/**
 * B3: what the dedupe store costs as static data — bytes per id, and the time to serialize and
 * read back the whole store at the cap — against the naive `{ [id]: timestamp }` store a
 * trigger would otherwise keep (shared/n8n-notes: 40-80 bytes per id).
 */

const { newEventId } = require('../scripts/lib/signing');
const { HOUR, RETENTION_HOURS, builtModules, filledLedger } = require('./lib/deliveries');
const { formatFixed, formatInt, machineLoad, median, timeOnce, verdict } = require('./lib/measure');
const { provenance, table, writeChart } = require('./lib/report');
const { barChart } = require('./lib/svg');

const SIZES = [1_000, 100_000, 1_000_000];
const TIMED_SIZES = [100_000, 1_000_000];
const REPEATS = 7;

/** The store as n8n keeps it: the workflow's static data, under its global data. */
function staticDataOf(ledger) {
	return {
		global: { 'pivotalTrigger.dedupe.00000000-0000-0000-0000-000000000000': ledger.persistent() },
	};
}

/** The naive store: every id with the millisecond it arrived, ids shaped like Pivotal's. */
function naiveStaticData(ids, nowSeconds) {
	const store = {};
	const first = (nowSeconds - RETENTION_HOURS * HOUR) * 1000;
	for (let i = 0; i < ids; i++) store[newEventId()] = first + i;
	return { global: { seen: store } };
}

function timings(staticData) {
	const stringify = [];
	const parse = [];
	let text = '';
	for (let i = 0; i < REPEATS; i++) {
		const written = timeOnce(() => JSON.stringify(staticData));
		text = written.result;
		stringify.push(written.ms);
		parse.push(timeOnce(() => JSON.parse(text)).ms);
	}
	return { bytes: Buffer.byteLength(text), stringifyMs: median(stringify), parseMs: median(parse) };
}

/**
 * The node reads stored state into its index on the first delivery after a restart, and again
 * whenever the stored state was last written by another process (queue mode): `fresh` times
 * the first, `known` the second when every stored id is already in the index.
 */
function absorbMs(DedupeLedger, staticData) {
	const [stored] = Object.values(JSON.parse(JSON.stringify(staticData)).global);
	const fresh = [];
	const known = [];
	for (let i = 0; i < 3; i++) {
		const ledger = new DedupeLedger(`bench-b3-absorb-${i}`);
		const nowSeconds = Math.floor(Date.now() / 1000);
		fresh.push(timeOnce(() => ledger.sync(stored, nowSeconds)).ms);
		known.push(timeOnce(() => ledger.sync(stored, nowSeconds)).ms);
	}
	return { fresh: median(fresh), known: median(known) };
}

function runB3({ command, versions, log }) {
	const loadBefore = machineLoad();
	const { dedupeLedger } = builtModules();
	const nowSeconds = Math.floor(Date.now() / 1000);
	const rows = [];
	for (const ids of SIZES) {
		const ledger = filledLedger(dedupeLedger.DedupeLedger, ids, nowSeconds, `bench-b3-${ids}`);
		// As the node does before every delivery: the cap decides how the ended hours are sealed.
		ledger.prune(nowSeconds, { retentionSeconds: RETENTION_HOURS * HOUR, maxIds: ids });
		const compact = staticDataOf(ledger);
		const naive = naiveStaticData(ids, nowSeconds);
		const timed = TIMED_SIZES.includes(ids);
		const row = {
			ids,
			compact: timed ? timings(compact) : { bytes: JSON.stringify(compact).length },
			naive: timed ? timings(naive) : { bytes: JSON.stringify(naive).length },
			absorbMs: timed ? absorbMs(dedupeLedger.DedupeLedger, compact) : undefined,
		};
		rows.push(row);
		log(`B3 ${formatInt(ids)} ids: ${formatFixed(row.compact.bytes / ids)} B/id`);
	}
	const perId = (row, side) => row[side].bytes / row.ids;
	const atDefaultCap = rows.find((row) => row.ids === 100_000);
	const worst = Math.max(...rows.map((row) => perId(row, 'compact')));
	const timedRows = rows.filter((row) => row.absorbMs !== undefined);
	const chart = writeChart(
		'b3-storage',
		barChart({
			title: 'B3: static-data bytes per stored id',
			unit: 'bytes per id',
			series: ['Pivotal Trigger store', 'naive { id: timestamp }'],
			groups: rows.map((row) => ({
				label: `${formatInt(row.ids)} ids`,
				values: [perId(row, 'compact'), perId(row, 'naive')],
			})),
			reference: { value: 24, label: 'target 24 B' },
		}),
		'B3 bar chart: bytes of static data per stored id, Pivotal store against a naive store',
	);
	return [
		'## B3 — storage: static data per stored id',
		'',
		provenance({ command, versions, loadBefore }),
		'',
		'Bytes of `JSON.stringify` of the workflow static data holding the store, ids spread over the',
		'168 hours of the default retention; the naive store keeps Pivotal-shaped ids (`evt_` + 24',
		'hex) with a millisecond timestamp each.',
		'',
		table(
			['ids', 'Pivotal store', 'per id', 'naive store', 'per id', 'target', 'result'],
			rows.map((row) => [
				formatInt(row.ids),
				`${formatInt(row.compact.bytes)} B`,
				`${formatFixed(perId(row, 'compact'))} B`,
				`${formatInt(row.naive.bytes)} B`,
				`${formatFixed(perId(row, 'naive'))} B`,
				'<= 24 B',
				verdict(perId(row, 'compact') <= 24),
			]),
		),
		'',
		`Whole store at the cap (median of ${REPEATS}), what n8n pays on each save and load; the last two`,
		"columns are the node's: reading the stored state into its index on the first delivery after a",
		'restart, and again on each delivery that finds the store last saved by another n8n process',
		'(queue mode), when it holds nothing new:',
		'',
		table(
			[
				'ids (cap)',
				'Pivotal: stringify',
				'parse',
				'naive: stringify',
				'parse',
				'read after restart',
				'read of a known store',
			],
			timedRows.map((row) => [
				formatInt(row.ids),
				`${formatFixed(row.compact.stringifyMs)} ms`,
				`${formatFixed(row.compact.parseMs)} ms`,
				`${formatFixed(row.naive.stringifyMs)} ms`,
				`${formatFixed(row.naive.parseMs)} ms`,
				`${formatFixed(row.absorbMs.fresh)} ms`,
				`${formatFixed(row.absorbMs.known)} ms`,
			]),
		),
		'',
		`Target <= 24 bytes per id: worst ${formatFixed(worst)} B, ${verdict(worst <= 24)}; at the default`,
		`cap ${formatInt(atDefaultCap.ids)} ids take ${formatFixed(atDefaultCap.compact.bytes / 1e6)} MB`,
		`(naive: ${formatFixed(atDefaultCap.naive.bytes / 1e6)} MB).`,
		'',
		chart,
	].join('\n');
}

module.exports = { runB3 };
