'use strict';

/**
 * B4: sustained deliveries per second into a real n8n 2.41 through the Pivotal Trigger (stores
 * seeded with 100,000 and 1,000,000 ids) against n8n's own Webhook node and a floor that never
 * writes its store, workflows of the same shape (trigger → No Operation) on one instance,
 * measured in alternating windows, under each expression engine; then memory per stored id and
 * the first read of the store after a restart. The report: lib/b4Report.js.
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
const { b4Report } = require('./lib/b4Report');
const {
	formatFixed,
	formatInt,
	groupCpuSeconds,
	machineLoad,
	median,
	percentile,
} = require('./lib/measure');

const SENDERS = 8;
const BODY_BYTES = 2048;
const SEEDED_IDS = 100_000;
const MILLION_IDS = 1_000_000;
const WINDOW_SECONDS = Number(process.env.BENCH_SECONDS || 20);
const WARMUP_SECONDS = 5;
const RESTARTS = 5;
const RETENTION_SECONDS = 7 * 24 * 3600;
/** The bench-only copy of the package whose node never writes its store (see floorPackage). */
const FLOOR_PACKAGE = 'n8n-nodes-pivotal-floor';
const FLOOR_CREDENTIAL = 'pivotalFloorWebhookApi';

/** Each workflow of the run: what it is, how many ids its store is seeded with, how it is built. */
const SIDES = {
	pivotal: { label: `Pivotal Trigger, ${formatInt(SEEDED_IDS)} ids`, ids: SEEDED_IDS },
	floor: {
		label: `the same, a bench build that never writes the store`,
		ids: SEEDED_IDS,
		floor: true,
	},
	million: {
		label: `Pivotal Trigger, ${formatInt(MILLION_IDS)} ids`,
		ids: MILLION_IDS,
		options: { maxStoredIds: MILLION_IDS },
	},
	versionOne: {
		label: `Pivotal Trigger version 1, ${formatInt(SEEDED_IDS)} ids`,
		ids: SEEDED_IDS,
		typeVersion: 1,
	},
	empty: { label: 'Pivotal Trigger, empty store', ids: 0 },
	webhook: { label: 'Webhook node' },
};
/**
 * Legacy first: the like-for-like comparison (shared/n8n-notes.md), with the bench build that
 * never writes the store as the floor and the empty store as the control. Then n8n's default
 * `vm` engine, which builds an expression isolate per request for every community trigger, and
 * `vm` with lazy acquisition, which builds one only when an expression is evaluated.
 */
const ENGINES = [
	{
		name: 'legacy',
		env: { N8N_EXPRESSION_ENGINE: 'legacy' },
		sides: ['pivotal', 'floor', 'million', 'empty', 'webhook'],
	},
	{ name: 'vm', env: { N8N_EXPRESSION_ENGINE: 'vm' }, sides: ['pivotal', 'webhook'] },
	{
		name: 'vm, lazy',
		env: { N8N_EXPRESSION_ENGINE: 'vm', N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
		sides: ['pivotal', 'versionOne', 'webhook'],
	},
];

/**
 * The Pivotal workflow of a side, its static data already holding `ids` ids accepted evenly
 * over the past week, as a busy endpoint's store holds them; closed hours are compacted as the
 * node's own prune would.
 */
function seededPivotalWorkflow(side, credentials) {
	const { label, ids, options = {}, typeVersion, floor } = SIDES[side];
	const credential = floor ? credentials.floor : credentials.pivotal;
	const workflow = pivotalWorkflow({ name: `bench: ${label}`, credential, options, typeVersion });
	const trigger = workflow.nodes[0];
	if (floor) {
		trigger.type = `${FLOOR_PACKAGE}.pivotalTrigger`;
		trigger.credentials = { [FLOOR_CREDENTIAL]: { id: credential.id, name: credential.name } };
	}
	if (ids === 0) return { workflow, storeBytes: 0 };
	const { DedupeLedger } = builtModules().dedupeLedger;
	const now = Math.floor(Date.now() / 1000);
	const ledger = filledLedger(DedupeLedger, ids, now, `seed${side}`);
	ledger.prune(now, { retentionSeconds: RETENTION_SECONDS, maxIds: ids });
	const state = ledger.persistent();
	const key = `pivotalTrigger.dedupe.${trigger.id}`;
	return {
		workflow: { ...workflow, staticData: { global: { [key]: state } } },
		storeBytes: JSON.stringify(state).length,
	};
}

/**
 * A copy of the installed package under another name whose node never writes its store into
 * static data, so n8n never saves it: the floor the real node's writes are measured against.
 * Made in the bench's n8n folder only; nothing of it is in the package or in dist/.
 */
function floorPackage(installed, nodesDir) {
	const dir = path.join(nodesDir, 'node_modules', FLOOR_PACKAGE);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.cpSync(installed.dir, dir, { recursive: true });
	const edit = (file, change) => {
		const at = path.join(dir, file);
		const before = fs.readFileSync(at, 'utf8');
		const after = change(before);
		if (after === before) throw new Error(`floor build: nothing to change in ${file}`);
		fs.writeFileSync(at, after);
	};
	edit('package.json', (text) =>
		text.replace(`"name": "${installed.name}"`, `"name": "${FLOOR_PACKAGE}"`),
	);
	edit('dist/nodes/Pivotal/n8n/nodeStores.js', (text) =>
		text.replace('staticData[key] = state;', 'void state;'),
	);
	edit('dist/nodes/Pivotal/PivotalTrigger.node.js', (text) =>
		text.replaceAll("'pivotalWebhookApi'", `'${FLOOR_CREDENTIAL}'`),
	);
	edit('dist/credentials/PivotalWebhookApi.credentials.js', (text) =>
		text.replaceAll("'pivotalWebhookApi'", `'${FLOOR_CREDENTIAL}'`),
	);
	const listPath = path.join(nodesDir, 'package.json');
	const list = JSON.parse(fs.readFileSync(listPath, 'utf8'));
	list.dependencies[FLOOR_PACKAGE] = installed.version;
	fs.writeFileSync(listPath, JSON.stringify(list, null, 2));
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
	const installed = installCommunityPackage(userFolder, packPackage(workDir, { build: false }));
	floorPackage(installed, path.join(userFolder, '.n8n', 'nodes'));
	const instance = new N8nInstance({
		runtime,
		userFolder,
		port: await freePort(),
		brokerPort: await freePort(),
		logFile: path.join(userFolder, 'n8n.log'),
		// Metrics: the expression engine counts the isolates it builds there.
		env: { EXECUTIONS_DATA_PRUNE: 'false', N8N_LOG_LEVEL: 'warn', N8N_METRICS: 'true' },
	});
	Object.assign(instance.extraEnv, ENGINES[0].env);
	await instance.start();
	const client = new N8nClient(instance.baseUrl);
	await client.setupOwner(OWNER);
	await client.createApiKey('bench');
	const secret = newSecret();
	const credentials = {
		pivotal: await client.createCredential({
			name: 'Pivotal (bench)',
			type: CREDENTIAL_TYPE,
			data: { signingSecret: secret },
		}),
		floor: await client.createCredential({
			name: 'Pivotal (bench floor)',
			type: FLOOR_CREDENTIAL,
			data: { signingSecret: secret },
		}),
	};
	const sides = {};
	const storeBytes = {};
	for (const side of Object.keys(SIDES).filter((name) => name !== 'webhook')) {
		const seeded = seededPivotalWorkflow(side, credentials);
		// Megabytes of static data: n8n has once closed the connection mid-upload, so one retry.
		const created = await client
			.createWorkflow(seeded.workflow)
			.catch(async () => await sleep(2000).then(() => client.createWorkflow(seeded.workflow)));
		const kept = JSON.stringify(created.staticData ?? {}).length;
		if (kept < seeded.storeBytes) {
			throw new Error(`the public API did not keep ${side}'s seeded static data (${kept} bytes)`);
		}
		storeBytes[side] = seeded.storeBytes;
		sides[side] = {
			id: created.id,
			url: webhookUrls(instance.baseUrl, created.nodes[0].webhookId).production,
		};
	}
	const plain = webhookNodeWorkflow('bench: Webhook node');
	const webhook = await client.createWorkflow(plain.workflow);
	sides.webhook = { id: webhook.id, url: `${instance.baseUrl}/webhook/${plain.path}` };
	for (const side of Object.values(sides)) await activate(client, side, side.url);
	log(
		`B4 n8n ${runtime.version} up, stores seeded with ${formatInt(storeBytes.pivotal)} and ${formatInt(storeBytes.million)} bytes`,
	);
	return { runtime, userFolder, instance, secret, sides, storeBytes };
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

/** Isolates n8n's expression engine has built so far (its metrics; 0 under legacy). */
async function isolatesBuilt(instance) {
	const text = await (await fetch(`${instance.baseUrl}/metrics`)).text();
	const line = text.split('\n').find((l) => l.startsWith('n8n_expression_pool_acquired_total'));
	return line ? Number(line.split(' ').pop()) : 0;
}

/** Resident memory of n8n's main process, in bytes. */
function residentBytes(instance) {
	const status = fs.readFileSync(`/proc/${instance.child.pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

async function window(setup, db, side, seconds) {
	const { instance, sides, secret } = setup;
	const next = deliveriesFor(side, secret);
	const pgid = instance.child.pid;
	const cpuBefore = groupCpuSeconds(pgid);
	const isolatesBefore = await isolatesBuilt(instance);
	const senderBefore = process.cpuUsage();
	const startMs = Date.now();
	const { latencies, errors } = await load(sides[side].url, next, seconds);
	const endMs = Date.now();
	const sender = process.cpuUsage(senderBefore);
	const { finished, lastStopMs } = await settle(db, sides[side].id, startMs);
	// Up to the end of the backlog: the executions' work is part of what a delivery costs.
	const cpu = groupCpuSeconds(pgid) - cpuBefore;
	const isolates = (await isolatesBuilt(instance)) - isolatesBefore;
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
		latencies,
		n8nCpuMsPerDelivery: (cpu * 1000) / Math.max(1, latencies.length),
		n8nCpuShare: cpu / untilDone,
		senderCpuShare: (sender.user + sender.system) / 1e6 / elapsed,
		isolatesPerDelivery: isolates / Math.max(1, latencies.length),
	};
}

function summarize(windows, side) {
	const own = windows.filter((w) => w.side === side);
	const latencies = own.flatMap((w) => w.latencies);
	const sum = (field) => own.reduce((total, w) => total + w[field], 0);
	return {
		executionsPerSecond: median(own.map((w) => w.executionsPerSecond)),
		acksPerSecond: median(own.map((w) => w.acksPerSecond)),
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		cpuMs: median(own.map((w) => w.n8nCpuMsPerDelivery)),
		cpuShare: median(own.map((w) => w.n8nCpuShare)),
		senderShare: median(own.map((w) => w.senderCpuShare)),
		backlog: median(own.map((w) => w.backlogSeconds)),
		isolates: median(own.map((w) => w.isolatesPerDelivery)),
		errors: sum('errors'),
		acked: sum('acked'),
		finished: sum('finished'),
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
				`B4 ${name} ${side}: ${formatFixed(measured.executionsPerSecond, 1)} executions/s, p99 ${formatFixed(percentile(measured.latencies, 99), 0)} ms, n8n CPU ${formatFixed(measured.n8nCpuMsPerDelivery, 1)} ms/delivery, ${formatFixed(measured.isolatesPerDelivery)} isolates/delivery`,
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

/** One delivery to a side, answered; its latency in ms. */
async function deliverOnce(setup, side) {
	const agent = new http.Agent({ keepAlive: false });
	const answer = await post(agent, setup.sides[side].url, deliveriesFor(side, setup.secret)());
	agent.destroy();
	if (!answer.ok) throw new Error(`a single delivery to ${side} was not answered 200`);
	return answer.ms;
}

/**
 * Runs `action` while a probe sends the Webhook node a request every 20 ms: the longest any of
 * them waited says how long n8n was held up meanwhile.
 */
async function whileProbing(setup, action) {
	const probes = [];
	let probing = true;
	const probe = (async () => {
		const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
		const body = { body: Buffer.from('{}'), headers: {} };
		while (probing) {
			probes.push((await post(agent, setup.sides.webhook.url, body)).ms);
			await sleep(20);
		}
		agent.destroy();
	})();
	await sleep(200);
	const result = await action();
	await sleep(200);
	probing = false;
	await probe;
	return { result, longestProbe: Math.max(...probes), probes: probes.length };
}

/**
 * On a freshly restarted n8n: what the stores' in-memory indexes cost (resident memory after
 * one delivery to an empty store, which loads the code, then after the first to the
 * 100,000-id and the 1,000,000-id stores, which read them), and how the first read of the
 * 1,000,000-id store holds up others, probed as whileProbing says. The second delivery to that
 * store, probed the same way, is the comparison: what n8n's own handling of a 1,000,000-id
 * workflow costs others. The liveness checks after the restart are unsigned, so the first
 * signed delivery is the one that reads each store.
 */
async function afterRestart(setup) {
	await setup.instance.restart();
	for (const side of Object.values(setup.sides)) await waitUntilLive(side.url);
	const settled = async () => {
		await sleep(2000);
		return residentBytes(setup.instance);
	};
	await deliverOnce(setup, 'empty');
	const base = await settled();
	await deliverOnce(setup, 'pivotal');
	const hundredK = await settled();
	const first = await whileProbing(setup, () => deliverOnce(setup, 'million'));
	const million = await settled();
	const second = await whileProbing(setup, () => deliverOnce(setup, 'million'));
	return {
		memory: {
			perIdHundredK: (hundredK - base) / SEEDED_IDS,
			perIdMillion: (million - hundredK) / MILLION_IDS,
		},
		restart: {
			first: first.result,
			second: second.result,
			longestProbe: first.longestProbe,
			longestProbeSecond: second.longestProbe,
			probes: first.probes,
		},
	};
}

/** Bytes of static data per stored id as the database holds it after the run, per side. */
async function storedBytes(setup) {
	const db = openDatabase(setup.runtime, setup.userFolder);
	try {
		const bytes = {};
		for (const side of ['pivotal', 'million']) {
			const [row] = await db.all(
				'SELECT LENGTH(staticData) AS bytes FROM workflow_entity WHERE id = ?',
				[setup.sides[side].id],
			);
			bytes[side] = row.bytes;
		}
		return bytes;
	} finally {
		await db.close();
	}
}

async function runB4({ command, n8nVersion, log }) {
	const loadBefore = machineLoad();
	const workDir = path.join(instancesDir(), `bench-${Date.now()}`);
	let setup;
	const results = [];
	let memory;
	let restart;
	let stored;
	try {
		setup = await setUp(workDir, log);
		for (const engine of ENGINES) {
			if (engine !== ENGINES[0]) {
				for (const other of ENGINES)
					for (const key of Object.keys(other.env)) delete setup.instance.extraEnv[key];
				Object.assign(setup.instance.extraEnv, engine.env);
				await setup.instance.restart();
				for (const side of Object.values(setup.sides)) await waitUntilLive(side.url);
			}
			results.push(await measureEngine(setup, engine, log));
		}
		// Five restarts: one first read is one sample of a noisy moment.
		const restarts = [];
		for (let round = 0; round < RESTARTS; round++) restarts.push(await afterRestart(setup));
		const middle = (pick) => median(restarts.map(pick));
		memory = {
			perIdHundredK: middle((r) => r.memory.perIdHundredK),
			perIdMillion: middle((r) => r.memory.perIdMillion),
		};
		restart = {
			first: middle((r) => r.restart.first),
			second: middle((r) => r.restart.second),
			longestProbe: middle((r) => r.restart.longestProbe),
			longestProbeSecond: middle((r) => r.restart.longestProbeSecond),
			probes: restarts.map((r) => r.restart.probes).join(', '),
			rounds: restarts
				.map((r) =>
					[r.restart.first, r.restart.longestProbe, r.restart.longestProbeSecond]
						.map((ms) => formatFixed(ms, 0))
						.join('/'),
				)
				.join(', '),
		};
		log(
			`B4 memory: ${formatFixed(memory.perIdHundredK, 1)} B/id at 100k, ${formatFixed(memory.perIdMillion, 1)} B/id at 1M`,
		);
		log(
			`B4 first read after a restart: ${formatFixed(restart.first, 0)} ms (then ${formatFixed(restart.second, 0)} ms), longest probe ${formatFixed(restart.longestProbe, 0)} ms (${formatFixed(restart.longestProbeSecond, 0)} ms during the next)`,
		);
		stored = await storedBytes(setup);
	} finally {
		if (setup) await setup.instance.stop();
	}
	if (!process.env.BENCH_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
	return b4Report({
		command,
		versions: `n8n ${n8nVersion} on Node ${nodeVersion(setup.runtime)}, SQLite`,
		loadBefore,
		results,
		memory,
		restart,
		stored,
		storeBytes: setup.storeBytes,
		shape: {
			SENDERS,
			BODY_BYTES,
			SEEDED_IDS,
			MILLION_IDS,
			WINDOW_SECONDS,
			WARMUP_SECONDS,
			RESTARTS,
			SIDES,
		},
	});
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

module.exports = { runB4 };
