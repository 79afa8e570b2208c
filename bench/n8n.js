'use strict';

/**
 * B4: sustained deliveries per second into a real n8n 2.41 through the Pivotal Trigger (store
 * pre-seeded with 100,000 ids) against n8n's own Webhook node, two workflows of the same shape
 * (trigger → No Operation) on one instance, measured in alternating windows in one run.
 */

const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { randomUUID } = require('node:crypto');

const { OWNER } = require('../test/e2e/context');
const { N8nClient } = require('../scripts/lib/api');
const { N8nInstance, freePort } = require('../scripts/lib/n8n');
const { installCommunityPackage, packPackage } = require('../scripts/lib/package');
const { ensureInstalled, instancesDir, runtimeFor } = require('../scripts/lib/runtimes');
const { newSecret, signDelivery } = require('../scripts/lib/signing');
const { sleep } = require('../scripts/lib/util');
const {
	CREDENTIAL_TYPE,
	pivotalWorkflow,
	triggeredWorkflow,
	waitUntilLive,
	webhookUrls,
} = require('../scripts/lib/workflows');
const { builtModules, eventOfSize, filledLedger } = require('./lib/deliveries');
const {
	formatFixed,
	formatInt,
	machineLoad,
	median,
	percentile,
	verdict,
} = require('./lib/measure');
const { provenance, table, writeChart } = require('./lib/report');
const { barChart } = require('./lib/svg');

const SENDERS = 8;
const BODY_BYTES = 2048;
const SEEDED_IDS = 100_000;
const WINDOW_SECONDS = Number(process.env.BENCH_SECONDS || 20);
const WARMUP_SECONDS = 5;
const CLOCK_TICKS_PER_SECOND = 100;
const SIDES = {
	pivotal: `Pivotal Trigger, ${formatInt(SEEDED_IDS)} ids`,
	webhook: 'Webhook node',
	empty: 'Pivotal Trigger, empty store',
};
/**
 * Headline first: the vm engine taxes every community trigger (shared/n8n-notes.md). The empty
 * store is the control that tells the store's cost in n8n from the rest of the trigger's.
 */
const ENGINES = [
	{ name: 'legacy', sides: ['pivotal', 'webhook', 'empty'] },
	{ name: 'vm', sides: ['pivotal', 'webhook'] },
];

/** CPU seconds used so far by every process in n8n's process group (n8n and its task runners). */
function groupCpuSeconds(pgid) {
	let ticks = 0;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}
		// Fields after the command name, which may hold spaces: state is field 3, pgrp 5, utime 14.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(fields[2]) !== pgid) continue;
		ticks += Number(fields[11]) + Number(fields[12]);
	}
	return ticks / CLOCK_TICKS_PER_SECOND;
}

/** n8n's own SQLite driver, so counting needs nothing n8n does not ship. */
function openDatabase(runtime, userFolder) {
	const n8nPackage = path.resolve(runtime.n8nBin, '..', '..');
	const sqlite3 = require(require.resolve('sqlite3', { paths: [n8nPackage] }));
	const db = new sqlite3.Database(
		path.join(userFolder, '.n8n', 'database.sqlite'),
		sqlite3.OPEN_READONLY,
	);
	const all = (sql, params = []) =>
		new Promise((resolve, reject) => {
			db.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows)));
		});
	return { all, close: () => new Promise((resolve) => db.close(resolve)) };
}

function nodeVersion(runtime) {
	return execFileSync(runtime.nodeBin, ['--version'], { encoding: 'utf8' }).trim();
}

/** SQLite keeps n8n's dates as 'YYYY-MM-DD HH:MM:SS.sss' in UTC. */
function sqliteTime(ms) {
	return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** n8n's own Webhook node in the same workflow shape as the Pivotal Trigger's. */
function webhookNodeWorkflow(name) {
	const path = randomUUID();
	const workflow = triggeredWorkflow({
		name,
		trigger: {
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		},
	});
	return { path, workflow };
}

/** The Pivotal workflow with its static data already holding SEEDED_IDS ids of the past week. */
function seededPivotalWorkflow(credential) {
	const workflow = pivotalWorkflow({ name: 'bench: Pivotal Trigger', credential });
	const { DedupeLedger } = builtModules().dedupeStore;
	const ledger = filledLedger(DedupeLedger, SEEDED_IDS, Math.floor(Date.now() / 1000), 'seed');
	const key = `pivotalTrigger.dedupe.${workflow.nodes[0].id}`;
	return { ...workflow, staticData: { global: { [key]: ledger.persistent() } } };
}

async function activate(client, workflow, url) {
	const activated = await client.activateWorkflow(workflow.id);
	if (!activated.active) throw new Error(`workflow ${workflow.id} did not activate`);
	await waitUntilLive(url);
}

async function setUp(workDir, log) {
	const runtime = runtimeFor(2);
	ensureInstalled(2, log);
	const userFolder = path.join(workDir, `n8n-${runtime.version}`);
	installCommunityPackage(userFolder, packPackage(workDir, { build: false }));
	const instance = new N8nInstance({
		runtime,
		userFolder,
		port: await freePort(),
		brokerPort: await freePort(),
		logFile: path.join(userFolder, 'n8n.log'),
		env: { EXECUTIONS_DATA_PRUNE: 'false', N8N_LOG_LEVEL: 'warn' },
	});
	instance.extraEnv.N8N_EXPRESSION_ENGINE = ENGINES[0].name;
	await instance.start();
	const client = new N8nClient(instance.baseUrl);
	await client.setupOwner(OWNER);
	await client.createApiKey('bench');
	const secret = newSecret();
	const credential = await client.createCredential({
		name: 'Pivotal (bench)',
		type: CREDENTIAL_TYPE,
		data: { signingSecret: secret },
	});
	const pivotal = await client.createWorkflow(seededPivotalWorkflow(credential));
	const seeded = JSON.stringify(pivotal.staticData ?? {}).length;
	if (seeded < SEEDED_IDS * 10) {
		throw new Error(`the public API did not keep the seeded static data (${seeded} bytes)`);
	}
	const empty = await client.createWorkflow(
		pivotalWorkflow({ name: 'bench: Pivotal Trigger, empty store', credential }),
	);
	const plain = webhookNodeWorkflow('bench: Webhook node');
	const webhook = await client.createWorkflow(plain.workflow);
	const pivotalSide = (created) => ({
		id: created.id,
		url: webhookUrls(instance.baseUrl, created.nodes[0].webhookId).production,
	});
	const sides = {
		pivotal: pivotalSide(pivotal),
		webhook: { id: webhook.id, url: `${instance.baseUrl}/webhook/${plain.path}` },
		empty: pivotalSide(empty),
	};
	for (const side of Object.values(sides)) await activate(client, side, side.url);
	log(`B4 n8n ${runtime.version} up, static data seeded with ${formatInt(seeded)} bytes`);
	return { runtime, userFolder, instance, secret, sides };
}

/** Endless deliveries for one side: distinct signed events (Pivotal) or the same plain body. */
function deliveriesFor(side, secret) {
	const template = eventOfSize(BODY_BYTES);
	const plainBody = Buffer.from(JSON.stringify(template));
	let n = 0;
	const run = randomUUID().slice(0, 8);
	if (side === 'webhook') return () => ({ body: plainBody, headers: {} });
	return () => {
		const id = `evt_${run}${String(n++).padStart(16, '0')}`;
		return signDelivery({ ...template, id }, { secret });
	};
}

function post(agent, url, { body, headers }) {
	return new Promise((resolve) => {
		const started = process.hrtime.bigint();
		const request = http.request(
			url,
			{
				method: 'POST',
				agent,
				headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
			},
			(response) => {
				response.resume();
				response.on('end', () =>
					resolve({
						ok: response.statusCode === 200,
						ms: Number(process.hrtime.bigint() - started) / 1e6,
					}),
				);
			},
		);
		request.on('error', () =>
			resolve({ ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
		);
		request.end(body);
	});
}

/** SENDERS loops, each sending its next delivery when the last is answered, for `seconds`. */
async function load(url, next, seconds) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
	// Sign ahead so the sender's HMACs do not compete with n8n for the CPU inside the window.
	const ready = Array.from({ length: Math.ceil(seconds * 400) }, next);
	const latencies = [];
	let errors = 0;
	const deadline = Date.now() + seconds * 1000;
	const sender = async () => {
		while (Date.now() < deadline) {
			const answer = await post(agent, url, ready.pop() ?? next());
			if (answer.ok) latencies.push(answer.ms);
			else errors++;
		}
	};
	await Promise.all(Array.from({ length: SENDERS }, sender));
	agent.destroy();
	return { latencies, errors };
}

/**
 * The executions that deliveries sent from fromMs on started, once they have all finished:
 * how many succeeded, and when the last one stopped. A trigger that answers at once but leaves a
 * backlog of executions is charged for the time the backlog takes.
 */
async function settle(db, workflowId, fromMs) {
	let last = -1;
	let stablePolls = 0;
	for (let i = 0; i < 600; i++) {
		const [row] = await db.all(
			`SELECT COUNT(*) AS total, SUM(status = 'success') AS succeeded,
				SUM(status IN ('new', 'running', 'waiting')) AS pending, MAX(stoppedAt) AS lastStop
			FROM execution_entity WHERE workflowId = ? AND createdAt >= ?`,
			[workflowId, sqliteTime(fromMs)],
		);
		// Nothing pending and no new execution for a second: n8n creates one after it answers.
		stablePolls = row.pending === 0 && row.total === last ? stablePolls + 1 : 0;
		if (stablePolls >= 2) {
			return { finished: row.succeeded ?? 0, lastStopMs: Date.parse(`${row.lastStop}Z`) };
		}
		last = row.total;
		await sleep(500);
	}
	throw new Error(`executions of workflow ${workflowId} did not finish within 5 minutes`);
}

async function window(setup, db, side, seconds) {
	const { instance, sides, secret } = setup;
	const next = deliveriesFor(side, secret);
	const pgid = instance.child.pid;
	const cpuBefore = groupCpuSeconds(pgid);
	const senderBefore = process.cpuUsage();
	const startMs = Date.now();
	const { latencies, errors } = await load(sides[side].url, next, seconds);
	const endMs = Date.now();
	const sender = process.cpuUsage(senderBefore);
	const { finished, lastStopMs } = await settle(db, sides[side].id, startMs);
	// Up to the end of the backlog: the executions' work is part of what a delivery costs.
	const cpu = groupCpuSeconds(pgid) - cpuBefore;
	const elapsed = (endMs - startMs) / 1000;
	const untilDone = (Math.max(endMs, lastStopMs) - startMs) / 1000;
	return {
		side,
		seconds: elapsed,
		acked: latencies.length,
		errors,
		finished,
		backlogSeconds: untilDone - elapsed,
		executionsPerSecond: finished / untilDone,
		acksPerSecond: latencies.length / elapsed,
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		latencies,
		n8nCpuMsPerDelivery: (cpu * 1000) / Math.max(1, latencies.length),
		n8nCpuShare: cpu / untilDone,
		senderCpuShare: (sender.user + sender.system) / 1e6 / elapsed,
	};
}

function summarize(windows, side) {
	const own = windows.filter((w) => w.side === side);
	const latencies = own.flatMap((w) => w.latencies);
	return {
		executionsPerSecond: median(own.map((w) => w.executionsPerSecond)),
		acksPerSecond: median(own.map((w) => w.acksPerSecond)),
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		cpuMs: median(own.map((w) => w.n8nCpuMsPerDelivery)),
		cpuShare: median(own.map((w) => w.n8nCpuShare)),
		senderShare: median(own.map((w) => w.senderCpuShare)),
		backlog: median(own.map((w) => w.backlogSeconds)),
		errors: own.reduce((sum, w) => sum + w.errors, 0),
		windows: own.map((w) => formatFixed(w.executionsPerSecond, 1)).join(', '),
	};
}

async function measureEngine(setup, { name, sides }, log) {
	const db = openDatabase(setup.runtime, setup.userFolder);
	try {
		for (const side of sides) await window(setup, db, side, WARMUP_SECONDS);
		const windows = [];
		for (const side of [...sides, ...sides]) {
			const measured = await window(setup, db, side, WINDOW_SECONDS);
			windows.push(measured);
			log(
				`B4 ${name} ${side}: ${formatFixed(measured.executionsPerSecond, 1)} executions/s, p99 ${formatFixed(measured.p99, 0)} ms, n8n CPU ${formatFixed(measured.n8nCpuMsPerDelivery, 1)} ms/delivery`,
			);
		}
		const summaries = Object.fromEntries(sides.map((side) => [side, summarize(windows, side)]));
		const ratioOf = (side) =>
			summaries[side].executionsPerSecond / summaries.webhook.executionsPerSecond;
		return { engine: name, sides, summaries, ratioOf };
	} finally {
		await db.close();
	}
}

/** Bytes n8n keeps per execution of each workflow, and the workflow row's static data. */
async function storageFootprint(setup) {
	const db = openDatabase(setup.runtime, setup.userFolder);
	try {
		const perSide = {};
		for (const [side, { id }] of Object.entries(setup.sides)) {
			const [row] = await db.all(
				`SELECT AVG(LENGTH(d.workflowData)) AS workflowData, AVG(LENGTH(d.data)) AS data,
					SUM(INSTR(d.workflowData, 'pivotalTrigger.dedupe') > 0) AS withStore, COUNT(*) AS n
				FROM execution_data d JOIN execution_entity e ON e.id = d.executionId WHERE e.workflowId = ?`,
				[id],
			);
			perSide[side] = row;
		}
		const [workflow] = await db.all(
			'SELECT LENGTH(staticData) AS bytes FROM workflow_entity WHERE id = ?',
			[setup.sides.pivotal.id],
		);
		return { perSide, staticDataBytes: workflow.bytes };
	} finally {
		await db.close();
	}
}

function engineRows(results) {
	return results.flatMap(({ engine, sides, summaries, ratioOf }) =>
		sides
			.map((side) => [side, summaries[side]])
			.map(([side, s]) => [
				`\`${engine}\``,
				SIDES[side],
				`${formatFixed(s.executionsPerSecond, 1)} (${s.windows})`,
				formatFixed(s.acksPerSecond, 1),
				`${formatFixed(s.p50, 0)} ms`,
				`${formatFixed(s.p99, 0)} ms`,
				`${formatFixed(s.cpuMs, 1)} ms`,
				`${formatFixed(s.cpuShare * 100, 0)} %`,
				`${formatFixed(s.backlog, 1)} s`,
				String(s.errors),
				side === 'webhook' ? '' : `**${formatFixed(ratioOf(side))}x**`,
			]),
	);
}

async function runB4({ command, n8nVersion, log }) {
	const loadBefore = machineLoad();
	const workDir = path.join(instancesDir(), `bench-${Date.now()}`);
	let setup;
	const results = [];
	let footprint;
	try {
		setup = await setUp(workDir, log);
		for (const engine of ENGINES) {
			if (engine !== ENGINES[0]) {
				setup.instance.extraEnv.N8N_EXPRESSION_ENGINE = engine.name;
				await setup.instance.restart();
				for (const side of Object.values(setup.sides)) await waitUntilLive(side.url);
			}
			results.push(await measureEngine(setup, engine, log));
		}
		footprint = await storageFootprint(setup);
	} finally {
		if (setup) await setup.instance.stop();
	}
	if (!process.env.BENCH_KEEP) fs.rmSync(workDir, { recursive: true, force: true });

	const [headline, vm] = results;
	const legacy = headline.summaries;
	const ratio = headline.ratioOf('pivotal');
	const throughputPass = ratio >= 0.9;
	const latencyPass = legacy.pivotal.p99 < 200;
	const storeCpu = legacy.pivotal.cpuMs - legacy.empty.cpuMs;
	const restCpu = legacy.empty.cpuMs - legacy.webhook.cpuMs;
	const chart = writeChart(
		'b4-n8n',
		barChart({
			title: `B4: finished executions per second, n8n ${n8nVersion}, ${SENDERS} senders`,
			unit: 'executions per second',
			series: Object.values(SIDES),
			groups: results.map((r) => ({
				label: `${r.engine} expression engine`,
				values: Object.keys(SIDES).map((side) => r.summaries[side]?.executionsPerSecond ?? 0),
			})),
		}),
		'B4 bar chart: executions per second, Pivotal Trigger against the Webhook node, per engine',
	);
	const latencyChart = writeChart(
		'b4-latency',
		barChart({
			title: 'B4: response latency (legacy engine)',
			unit: 'ms',
			series: Object.values(SIDES),
			groups: ['p50', 'p99'].map((p) => ({
				label: p,
				values: Object.keys(SIDES).map((side) => legacy[side][p]),
			})),
			reference: { value: 200, label: 'p99 target 200 ms' },
		}),
		'B4 bar chart: p50 and p99 response latency per trigger',
	);
	const { perSide, staticDataBytes } = footprint;
	return [
		'## B4 — real n8n: sustained deliveries per second',
		'',
		provenance({
			command,
			versions: `n8n ${n8nVersion} on Node ${nodeVersion(setup.runtime)}, SQLite`,
			loadBefore,
		}),
		'',
		'One n8n with three active workflows of the same shape, trigger → No Operation: the Pivotal',
		`Trigger with its static data seeded with ${formatInt(SEEDED_IDS)} ids (the default cap, so every new id`,
		"also evicts the oldest), n8n's Webhook node (POST, respond immediately), and, as a control,",
		`the Pivotal Trigger with an empty store. ${SENDERS} senders on keep-alive connections,`,
		`${formatInt(BODY_BYTES)}-byte JSON bodies, each Pivotal delivery a new signed event id. Per engine:`,
		`${WARMUP_SECONDS} s warm-up per workflow, then two rounds of ${WINDOW_SECONDS} s windows, one workflow at a time`,
		'in the order of the table. Throughput is the executions the window started that finished',
		"successfully (counted in n8n's database), divided by the time from the window's start to the",
		"last one's end, so executions still queued when the senders stop count against the trigger",
		"(*backlog*: how long they took after the window); median of the windows, each window's figure",
		"in brackets. Latency is the sender's time to the whole answer, over all windows. n8n CPU is",
		"n8n's process group (`/proc/<pid>/stat`) until the backlog is done, per answered delivery,",
		'and as a share of one core.',
		'',
		table(
			[
				'engine',
				'trigger',
				'executions/s',
				'answers/s',
				'p50',
				'p99',
				'n8n CPU / delivery',
				'n8n CPU',
				'backlog',
				'errors',
				'vs Webhook node',
			],
			engineRows(results),
		),
		'',
		"Targets (legacy engine, the like-for-like comparison): >= 0.9x the Webhook node's",
		`throughput: ${formatFixed(ratio)}x, ${verdict(throughputPass)}; p99 < 200 ms:`,
		`${formatFixed(legacy.pivotal.p99, 0)} ms, ${verdict(latencyPass)} (the Webhook node's p99 in the same run:`,
		`${formatFixed(legacy.webhook.p99, 0)} ms). Under n8n's default \`vm\` engine the ratio is`,
		`${formatFixed(vm.ratioOf('pivotal'))}x: n8n acquires an expression isolate in the webhook phase for every trigger but`,
		'its own Webhook node (`webhookPhaseNeedsIsolate`), whatever the trigger does.',
		'',
		"**What limits it.** n8n, not the node: the node's own work is tens of microseconds per",
		`delivery (B1, B2). n8n spent ${formatFixed(legacy.pivotal.cpuMs, 1)} ms of CPU per delivery with ${formatInt(SEEDED_IDS)} ids`,
		`stored, ${formatFixed(legacy.empty.cpuMs, 1)} ms with an empty store and ${formatFixed(legacy.webhook.cpuMs, 1)} ms for the Webhook node: the`,
		`store's size accounts for ${formatFixed(storeCpu, 1)} ms, the rest of the trigger's path for ${formatFixed(restCpu, 1)} ms. For every`,
		`request n8n reads the workflow row with its ${formatInt(staticDataBytes)}-byte static data to route it, writes`,
		'the whole static data back after `webhook()` when the node recorded an id, and reads it again',
		'to start the execution (`WorkflowRunner.run(…, loadStaticData = true)`): two parses, one',
		'serialization and one SQLite write of the store per accepted delivery (B3 times the JSON',
		'part). Answers per second: ' +
			`${formatFixed(legacy.pivotal.acksPerSecond, 1)} with the store, ${formatFixed(legacy.webhook.acksPerSecond, 1)} for the Webhook node,`,
		`${formatFixed(legacy.empty.acksPerSecond, 1)} with an empty store, which answers before n8n starts the run, so its`,
		'executions queue up behind the answers (the backlog column) and are charged for it. The',
		`sender used ${formatFixed(legacy.pivotal.senderShare * 100, 0)} % of a core in the Pivotal windows; the load average above`,
		'says what else ran on the machine.',
		'',
		"What n8n's database keeps per execution (all executions of the run): the store is not copied",
		'into saved executions.',
		'',
		table(
			[
				'executions of',
				'saved',
				'workflow copy per execution',
				'run data per execution',
				'copies holding the store',
			],
			Object.entries(perSide).map(([side, row]) => [
				SIDES[side],
				formatInt(row.n),
				`${formatInt(row.workflowData)} B`,
				`${formatInt(row.data)} B`,
				formatInt(row.withStore),
			]),
		),
		'',
		chart,
		'',
		latencyChart,
	].join('\n');
}

module.exports = { runB4 };
