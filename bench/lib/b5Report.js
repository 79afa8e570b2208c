'use strict';

/** B5's section of BENCHMARKS.md, from what bench/soak.js measured (kept per mode). */

const { formatFixed, formatInt, verdict } = require('./measure');
const { table } = require('./report');

/** Ratio of the last tenth's CPU per delivery to the first's (target). */
const CPU_RATIO_TARGET = 1.1;
/** "Flat" heap: under this many bytes of growth per 1,000 deliveries (100 B per delivery). */
const HEAP_FLAT_BYTES_PER_1000 = 100_000;

const COLUMNS = [
	'n8n',
	'package',
	'deliveries',
	'per second',
	'n8n CPU / delivery, first 10 %',
	'last 10 %',
	'last ÷ first',
	'heap start',
	'heap end',
	'heap growth / 1,000 deliveries',
	'RSS start → end',
	'executions / accepted',
	'errors',
];

const MB = 1024 * 1024;
const mb = (bytes) => `${formatFixed(bytes / MB, 1)} MB`;

function cpuTotal(checkpoint, only) {
	return Object.entries(checkpoint.cpu)
		.filter(([name]) => !only || name === only)
		.reduce((sum, [, seconds]) => sum + seconds, 0);
}

/** Checkpoints that bound each tenth of the deliveries done; the last ends after the backlog. */
function tenths(run) {
	const done = run.tally.answered + run.tally.errors;
	const points = run.checkpoints.filter((c) => !c.final);
	const final = run.checkpoints.find((c) => c.final) ?? run.checkpoints.at(-1);
	const at = (k) => {
		if (k === 10) return final;
		if (k === 0) return points[0];
		return points.find((c) => c.delivered >= (k * done) / 10) ?? final;
	};
	return Array.from({ length: 10 }, (_, k) => ({ from: at(k), to: at(k + 1) }));
}

/** n8n CPU ms per delivery in each tenth (`only`: one process's, else every process's). */
function cpuByTenth(run, only) {
	return tenths(run).map(({ from, to }) => {
		const deliveries = to.delivered - from.delivered;
		return deliveries > 0 ? ((cpuTotal(to, only) - cpuTotal(from, only)) * 1000) / deliveries : NaN;
	});
}

/**
 * Heap per tenth: the lowest heap-in-use sample within it, i.e. the heap just after a garbage
 * collection (what stays alive); and resident memory's median.
 */
function memoryByTenth(run) {
	const done = run.tally.answered + run.tally.errors;
	return Array.from({ length: 10 }, (_, k) => {
		const lo = (k * done) / 10;
		const hi = ((k + 1) * done) / 10;
		const inside = run.heap.filter(
			(s) => s.delivered >= lo && (k === 9 ? s.delivered <= hi : s.delivered < hi),
		);
		const heaps = inside.map((s) => s.heapUsed).filter(Number.isFinite);
		const rss = inside.map((s) => s.rss).sort((a, b) => a - b);
		return {
			mid: (lo + hi) / 2,
			heap: heaps.length ? Math.min(...heaps) : NaN,
			rss: rss.length ? rss[Math.floor(rss.length / 2)] : NaN,
		};
	});
}

/** Least-squares slope of heap points ({ mid, heap }), in bytes per 1,000 deliveries. */
function heapSlope(memory) {
	const points = memory.filter((m) => Number.isFinite(m.heap));
	if (points.length < 3) return NaN;
	const n = points.length;
	const mx = points.reduce((s, p) => s + p.mid, 0) / n;
	const my = points.reduce((s, p) => s + p.heap, 0) / n;
	const sxy = points.reduce((s, p) => s + (p.mid - mx) * (p.heap - my), 0);
	const sxx = points.reduce((s, p) => s + (p.mid - mx) ** 2, 0);
	return (sxy / sxx) * 1000;
}

function summarize(run) {
	const cpu = cpuByTenth(run);
	const memory = memoryByTenth(run);
	const gc = (run.gcHeap ?? []).map((h) => ({ mid: h.delivered, heap: h.heapUsed }));
	const done = run.tally.answered + run.tally.errors;
	const webhookCpu = run.measuredProcess === 'webhook' ? cpuByTenth(run, 'webhook') : undefined;
	const perProcess = Object.keys(run.checkpoints[0].cpu).map((name) => {
		const byTenth = cpuByTenth(run, name);
		return { name, first: byTenth[0], last: byTenth[9] };
	});
	return {
		done,
		complete: done >= run.planned,
		rate: done / run.seconds,
		cpu,
		first: cpu[0],
		last: cpu[9],
		ratio: cpu[9] / cpu[0],
		webhookRatio: webhookCpu ? webhookCpu[9] / webhookCpu[0] : undefined,
		perProcess,
		memory,
		gc,
		heapStart: gc[0]?.heap,
		heapEnd: gc.at(-1)?.heap,
		slope: heapSlope(gc),
		floorStart: memory[0].heap,
		floorEnd: memory[9].heap,
		floorSlope: heapSlope(memory),
		rssStart: memory[0].rss,
		rssEnd: memory[9].rss,
		ran: run.executions === run.tally.accepted && run.tally.errors === 0,
	};
}

function rowOf(result, tag, s) {
	const run = result[tag];
	const pkg =
		tag === 'before' ? `before (${result.packages.before})` : `after (${result.packages.after})`;
	return [
		result.label,
		pkg,
		`${formatInt(s.done)}${s.complete ? '' : ` of ${formatInt(run.planned)} (stopped at ${result.maxMinutes} min)`}`,
		formatFixed(s.rate, 1),
		`${formatFixed(s.first, 1)} ms`,
		`${formatFixed(s.last, 1)} ms`,
		`**${formatFixed(s.ratio)}x**`,
		mb(s.heapStart),
		mb(s.heapEnd),
		`${formatFixed(s.slope / 1024, 1)} KB`,
		`${mb(s.rssStart)} → ${mb(s.rssEnd)}`,
		`${formatInt(run.executions)} / ${formatInt(run.tally.accepted)}`,
		String(run.tally.errors),
	];
}

function loadLine(result) {
	const during = result.load.during;
	const range = during.length
		? `${formatFixed(Math.min(...during))}–${formatFixed(Math.max(...during))} during`
		: 'n/a during';
	return `${formatFixed(result.load.before)} before, ${range}, ${formatFixed(result.load.after)} after`;
}

function b5Report({ command, results, shape }) {
	const { SENDERS, BODY_BYTES, MAX_STORED_IDS, DELIVERIES, WARMUP, MAX_MINUTES, MODES } = shape;
	const order = Object.keys(MODES).filter((mode) => results[mode]);
	const rows = [];
	const details = [];
	const targets = [];
	for (const mode of order) {
		const result = results[mode];
		const s = { before: summarize(result.before), after: summarize(result.after) };
		rows.push(rowOf(result, 'before', s.before), rowOf(result, 'after', s.after));
		const perTenth = (tag) =>
			`${s[tag].cpu.map((ms) => formatFixed(ms, 1)).join(', ')} ms; heap after a collection ${s[
				tag
			].gc
				.map((m) => formatFixed(m.heap / MB, 1))
				.join(', ')} MB; lowest \`/metrics\` heap sample per tenth ${s[tag].memory
				.map((m) => formatFixed(m.heap / MB, 0))
				.join(', ')} MB (slope ${formatFixed(s[tag].floorSlope / 1024, 1)} KB per 1,000)`;
		const processes = (tag) =>
			s[tag].perProcess
				.map((p) => `${p.name} ${formatFixed(p.first, 1)} → ${formatFixed(p.last, 1)} ms`)
				.join(', ');
		details.push(
			`- ${result.label} (Node ${result.node}; measured ${result.measuredAt}; load average ${loadLine(result)} on ${result.load.cores} cores; \`${result.command}\`):`,
			`  - before, per tenth: ${perTenth('before')}.`,
			`  - after, per tenth: ${perTenth('after')}.`,
			...(MODES[mode].queue
				? [
						`  - per process (first → last tenth), before: ${processes('before')}; after: ${processes('after')}.`,
					]
				: []),
			`  - backlog after the senders stopped: ${formatFixed(result.before.backlogSeconds, 1)} s before, ${formatFixed(result.after.backlogSeconds, 1)} s after; answers not \`accepted\`: ${result.before.tally.other} / ${result.after.tally.other}${result.before.tally.firstProblem ? `; before's first: \`${result.before.tally.firstProblem}\`` : ''}${result.after.tally.firstProblem ? `; after's first: \`${result.after.tally.firstProblem}\`` : ''}.`,
		);
		const a = s.after;
		targets.push(
			`- ${result.label}, after: last ÷ first tenth ${formatFixed(a.ratio)}x (target <= ${CPU_RATIO_TARGET}x): ${verdict(a.ratio <= CPU_RATIO_TARGET)}` +
				`${a.webhookRatio !== undefined ? ` (the webhook process alone: ${formatFixed(a.webhookRatio)}x)` : ''}; heap ${formatFixed(a.slope / 1024, 1)} KB per 1,000 deliveries (target flat, < ${HEAP_FLAT_BYTES_PER_1000 / 1000} KB): ${verdict(Math.abs(a.slope) < HEAP_FLAT_BYTES_PER_1000)}; every accepted delivery ran, no errors: ${verdict(a.ran)}${a.complete ? '' : ` (stopped at the time limit after ${formatInt(a.done)} deliveries, short of ${formatInt(result.after.planned)})`}.` +
				` Before: ${formatFixed(s.before.ratio)}x${s.before.webhookRatio !== undefined ? ` (webhook process ${formatFixed(s.before.webhookRatio)}x)` : ''}, ${formatFixed(s.before.slope / 1024, 1)} KB per 1,000${s.before.complete ? '' : `, stopped after ${formatInt(s.before.done)} deliveries`}.`,
		);
	}
	return [
		'## B5 — soak: n8n CPU and heap per delivery over 20,000 deliveries',
		'',
		`Command: \`${command}\` (each mode's own command and load are listed under the table; a`,
		'mode re-run alone replaces only its rows).',
		'',
		"Does anything the node leaves in workflow static data make n8n's own work per delivery grow?",
		'n8n wraps the objects it finds in static data in `ObservableObject` proxies, in place, each',
		'time it builds a `Workflow` over it, and n8n 1.x wraps an already wrapped object again. The',
		'package as on the *before* commit put its live store object (whose `buckets` array is the',
		"node's own) into every request's static data; *after* puts a handle whose only enumerable",
		'field is a number. Per mode, two identical n8n set-ups run side by side at the same time, one',
		'with each package installed as a community package, so both see the same machine load. Each',
		`gets one workflow, Pivotal Trigger → No Operation, Max Stored IDs ${formatInt(MAX_STORED_IDS)} (the smallest cap, so`,
		`the store is full after the warm-up and evicts an id per new one: its steady state), and ${SENDERS}`,
		`senders on keep-alive connections posting ${formatInt(BODY_BYTES)}-byte signed events, each a new id:`,
		`${formatInt(WARMUP)} deliveries of warm-up, then ${formatInt(DELIVERIES)} measured, all in ONE n8n process per set-up (a`,
		`run stops after ${MAX_MINUTES} minutes, warm-up included, and says so). n8n CPU is the process groups' \`/proc/<pid>/stat\``,
		'time, read at every hundredth of the deliveries and after the last execution finished (so the',
		'last tenth carries the backlog), per delivery, for the first and the last tenth. In queue mode',
		'it is the sum of main, webhook and worker processes (each is listed below); heap and RSS are',
		"then the webhook process's, where the node's store lives. Heap is n8n's heap in use right",
		'after a full collection forced through the inspector (n8n started with',
		'`NODE_OPTIONS=--inspect`; `HeapProfiler.collectGarbage`, then `process.memoryUsage()`), after',
		'the warm-up, at every tenth and after the last execution; the growth is the least-squares',
		"slope of those eleven. Prom-client's `nodejs_heap_size_used_bytes` on `/metrics`",
		'(`N8N_METRICS=true`), sampled every second without a collection, is listed per tenth below',
		"(its lowest sample). Executions are the workflow's successful executions in n8n's",
		"database, against answers `accepted`. Expression engine `legacy` on both versions (2.x's `vm`",
		'builds an isolate per delivery for any community trigger, B4, unrelated to static data).',
		'',
		table(COLUMNS, rows),
		'',
		"**Targets** (after): n8n CPU per delivery of the last tenth at most 1.1x the first's; heap",
		'flat once the store is at its cap; every accepted delivery ran.',
		'',
		...targets,
		'',
		'Per tenth (n8n CPU per delivery; heap):',
		'',
		...details,
		'',
		'Reproduce: `BENCH_ONLY=B5 npm run bench` (all three modes, ~15 min each on 2 cores);',
		'`BENCH_B5_MODES=regular-2,regular-1,queue-2`, `BENCH_B5_DELIVERIES`, `BENCH_B5_WARMUP`,',
		'`BENCH_B5_MINUTES` (the stop), `BENCH_B5_BEFORE=<commit>` (built from a `git worktree` in the',
		'temp folder with node_modules linked) or `BENCH_B5_BEFORE_TARBALL=<packed .tgz>`. Results are',
		`kept per mode in the cache folder (\`bench-b5-results.json\`), so one mode can be re-run alone.`,
	].join('\n');
}

module.exports = { b5Report };
