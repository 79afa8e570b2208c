'use strict';

/**
 * B5: a soak. Tens of thousands of distinct signed deliveries into ONE n8n process (per mode),
 * measuring n8n's CPU per delivery and its heap from the start to the end, to see whether
 * anything the node leaves in workflow static data makes n8n's work per delivery grow. n8n wraps
 * the objects it finds in static data in ObservableObject proxies, in place, each time it builds
 * a Workflow over it (n8n 1.x wraps an already wrapped object again); a node that hands n8n its
 * live state object would see proxies pile up on it.
 *
 * Each mode runs two n8n side by side on the same machine at the same time, identical but for
 * the package installed: BEFORE (the package as on commit BENCH_B5_BEFORE, default 363ee59,
 * built from a git worktree) and AFTER (the working tree, as `npm run bench` has just built it).
 * Side by side, both see the same machine load. The report: lib/b5Report.js.
 *
 *   BENCH_B5_MODES=regular-2,regular-1,queue-2   which n8n set-ups, in this order
 *   BENCH_B5_DELIVERIES=20000                    measured deliveries per run (after the warm-up)
 *   BENCH_B5_WARMUP=1500                         warm-up deliveries (fill the store to its cap)
 *   BENCH_B5_MINUTES=12                          a run stops here even if not done (reported)
 *   BENCH_B5_BEFORE=363ee59                      the commit BEFORE is built from
 *   BENCH_B5_BEFORE_TARBALL=<path>               or a tarball of it, already packed
 *   BENCH_B5_AFTER_TARBALL=<path>                AFTER from a tarball, not the working tree
 *   BENCH_B5_PARALLEL=1                          the modes at the same time, not one by one
 */

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');

const { OWNER } = require('../test/e2e/context');
const { N8nClient } = require('../scripts/lib/api');
const { N8nInstance, freePort } = require('../scripts/lib/n8n');
const { installCommunityPackage, packPackage } = require('../scripts/lib/package');
const {
	REPO_DIR,
	cacheDir,
	ensureInstalled,
	instancesDir,
	runtimeFor,
} = require('../scripts/lib/runtimes');
const { PostgresServer, RedisServer } = require('../scripts/lib/services');
const { newSecret, signDelivery } = require('../scripts/lib/signing');
const { sleep } = require('../scripts/lib/util');
const {
	CREDENTIAL_TYPE,
	pivotalWorkflow,
	waitUntilLive,
	webhookUrls,
} = require('../scripts/lib/workflows');
const { eventOfSize } = require('./lib/deliveries');
const { b5Report } = require('./lib/b5Report');
const { formatFixed, formatInt, groupCpuSeconds, machineLoad } = require('./lib/measure');
const { writeSections } = require('./lib/report');

const SENDERS = 6;
const BODY_BYTES = 2048;
/** The node's smallest cap: the store is full after the warm-up and evicts an id per new one. */
const MAX_STORED_IDS = 1000;
const DELIVERIES = Number(process.env.BENCH_B5_DELIVERIES || 20_000);
const WARMUP = Number(process.env.BENCH_B5_WARMUP || 1500);
const MAX_MINUTES = Number(process.env.BENCH_B5_MINUTES || 12);
const BEFORE_COMMIT = process.env.BENCH_B5_BEFORE || '363ee59';
/** CPU is read at every CHECKPOINTS-th of the run; heap once a second. */
const CHECKPOINTS = 100;
const HEAP_EVERY_MS = 1000;
const ENCRYPTION_KEY = 'pivotal-bench-b5-key';
/** Results of earlier runs, so one mode can be re-run and the table keeps the others. */
const RESULTS_FILE = path.join(cacheDir(), 'bench-b5-results.json');

const MODES = {
	'regular-2': { major: 2, queue: false, label: 'n8n 2.41.1, regular mode, SQLite' },
	'queue-2': {
		major: 2,
		queue: true,
		label: 'n8n 2.41.1, queue mode (PostgreSQL, Redis; main + webhook + worker)',
	},
	'regular-1': { major: 1, queue: false, label: 'n8n 1.123.81, regular mode, SQLite' },
};

function selectedModes() {
	const names = (process.env.BENCH_B5_MODES || 'regular-2,regular-1,queue-2')
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	for (const name of names) if (!MODES[name]) throw new Error(`BENCH_B5_MODES: no mode ${name}`);
	return names;
}

/** The package as on `commit`: a worktree beside the clone, node_modules shared, built, packed. */
function beforeTarball(outDir, log) {
	if (process.env.BENCH_B5_BEFORE_TARBALL) return process.env.BENCH_B5_BEFORE_TARBALL;
	const tree = path.join(os.tmpdir(), `b5-before-${BEFORE_COMMIT}`);
	if (!fs.existsSync(path.join(tree, 'package.json'))) {
		log(`B5 git worktree add ${tree} ${BEFORE_COMMIT}`);
		execFileSync('git', ['worktree', 'add', '--detach', tree, BEFORE_COMMIT], {
			cwd: REPO_DIR,
			stdio: 'ignore',
		});
	}
	const modules = path.join(tree, 'node_modules');
	if (!fs.existsSync(modules)) fs.symlinkSync(path.join(REPO_DIR, 'node_modules'), modules);
	execFileSync('npm', ['run', 'build'], { cwd: tree, stdio: 'ignore' });
	fs.mkdirSync(outDir, { recursive: true });
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
		cwd: tree,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'ignore'],
	});
	const [report] = JSON.parse(out.slice(out.indexOf('[')));
	const tarball = path.join(outDir, `before-${report.filename}`);
	fs.renameSync(path.join(outDir, report.filename), tarball);
	return tarball;
}

/** What AFTER is: the commit it was built on, and whether nodes/ had uncommitted changes. */
function afterDescription() {
	const git = (...args) => execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8' }).trim();
	const head = git('rev-parse', '--short', 'HEAD');
	const dirty = git('status', '--porcelain', '--', 'nodes', 'credentials', 'package.json');
	return dirty ? `${head} + uncommitted changes to ${dirty.split('\n').length} file(s)` : head;
}

// ---------------------------------------------------------------------------------------------
// n8n set-ups

const commonEnv = {
	EXECUTIONS_DATA_PRUNE: 'false',
	N8N_LOG_LEVEL: 'warn',
	N8N_METRICS: 'true',
	// Like for like on both versions (1.x on Node 20 has nothing else); 2.x's default engine
	// builds an expression isolate per delivery for any community trigger (B4), which would make
	// the soak three times longer and has nothing to do with static data.
	N8N_EXPRESSION_ENGINE: 'legacy',
	N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
};

/** One n8n set-up with the given tarball installed; `measured` is the process the node runs in. */
async function startSetup(mode, tarball, workDir, tag) {
	const { major, queue } = MODES[mode];
	const runtime = runtimeFor(major);
	const base = path.join(workDir, `${mode}-${tag}`);
	const setup = { mode, tag, runtime, base, processes: {}, inspectPort: await freePort() };
	const measuredName = queue ? 'webhook' : 'main';
	const processFor = async (name, command, env) => {
		const userFolder = path.join(base, name);
		// The inspector, for a heap after a forced collection (heapAfterGc). Children n8n spawns
		// (task runners) inherit it, fail to take the port, and run on.
		const inspect =
			name === measuredName ? { NODE_OPTIONS: `--inspect=127.0.0.1:${setup.inspectPort}` } : {};
		return new N8nInstance({
			runtime,
			command,
			userFolder,
			port: await freePort(),
			brokerPort: await freePort(),
			logFile: path.join(userFolder, 'n8n.log'),
			env: { ...commonEnv, ...env, ...inspect },
		});
	};
	if (!queue) {
		installCommunityPackage(path.join(base, 'main'), tarball);
		const main = await processFor('main', 'start', {});
		await main.start();
		setup.processes = { main };
		setup.measured = main;
		setup.db = sqliteCounter(runtime, main.userFolder);
	} else {
		setup.postgres = new PostgresServer({ port: await freePort() });
		setup.redis = new RedisServer({ dir: path.join(base, 'redis'), port: await freePort() });
		await setup.postgres.start();
		await setup.redis.start();
		const env = {
			...setup.postgres.n8nEnv(),
			...setup.redis.n8nEnv(),
			EXECUTIONS_MODE: 'queue',
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		};
		const mainFolder = path.join(base, 'main');
		installCommunityPackage(mainFolder, tarball);
		for (const name of ['webhook', 'worker']) {
			fs.cpSync(path.join(mainFolder, '.n8n', 'nodes'), path.join(base, name, '.n8n', 'nodes'), {
				recursive: true,
			});
		}
		const main = await processFor('main', 'start', env);
		const webhook = await processFor('webhook', 'webhook', env);
		const worker = await processFor('worker', 'worker', env);
		setup.processes = { main, webhook, worker };
		await main.start();
		await Promise.all([webhook.start(), worker.start()]);
		setup.measured = webhook;
		setup.db = postgresCounter(setup.postgres);
	}
	const main = setup.processes.main;
	const client = new N8nClient(main.baseUrl);
	await client.setupOwner(OWNER);
	await client.createApiKey('bench-b5');
	setup.secret = newSecret();
	const credential = await client.createCredential({
		name: 'Pivotal (bench B5)',
		type: CREDENTIAL_TYPE,
		data: { signingSecret: setup.secret },
	});
	const workflow = await client.createWorkflow(
		pivotalWorkflow({
			name: `bench B5 ${tag}`,
			credential,
			options: { maxStoredIds: MAX_STORED_IDS },
		}),
	);
	const activated = await client.activateWorkflow(workflow.id);
	if (!activated.active) throw new Error(`B5 ${mode} ${tag}: the workflow did not activate`);
	setup.workflowId = workflow.id;
	setup.url = webhookUrls(setup.measured.baseUrl, workflow.nodes[0].webhookId).production;
	await waitUntilLive(setup.url, { timeoutMs: 60_000 });
	return setup;
}

async function stopSetup(setup) {
	if (!setup) return;
	const { main, ...others } = setup.processes;
	await Promise.all(Object.values(others).map((instance) => instance.stop()));
	if (main) await main.stop();
	if (setup.db) await setup.db.close();
	if (setup.redis) await setup.redis.stop();
	if (setup.postgres) await setup.postgres.stop();
}

/** Executions of a workflow in n8n's SQLite database, read with n8n's own driver. */
function sqliteCounter(runtime, userFolder) {
	const n8nPackage = path.resolve(runtime.n8nBin, '..', '..');
	const sqlite3 = require(require.resolve('sqlite3', { paths: [n8nPackage] }));
	let db;
	const open = () => {
		db ??= new sqlite3.Database(
			path.join(userFolder, '.n8n', 'database.sqlite'),
			sqlite3.OPEN_READONLY,
		);
		return db;
	};
	return {
		count: (workflowId) =>
			new Promise((resolve, reject) => {
				open().get(
					`SELECT COUNT(*) AS total, SUM(status = 'success') AS succeeded,
						SUM(status IN ('new', 'running', 'waiting')) AS pending
					FROM execution_entity WHERE workflowId = ?`,
					[workflowId],
					(error, row) =>
						error
							? reject(error)
							: resolve({
									total: row.total,
									succeeded: row.succeeded ?? 0,
									pending: row.pending ?? 0,
								}),
				);
			}),
		close: () => new Promise((resolve) => (db ? db.close(resolve) : resolve())),
	};
}

function postgresCounter(postgres) {
	return {
		count: async (workflowId) => {
			const out = postgres.query(
				`SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'success'),
					COUNT(*) FILTER (WHERE status IN ('new', 'running', 'waiting'))
				FROM execution_entity WHERE "workflowId" = '${workflowId}'`,
			);
			const [total, succeeded, pending] = out.trim().split('|').map(Number);
			return { total, succeeded, pending };
		},
		close: async () => {},
	};
}

// ---------------------------------------------------------------------------------------------
// Measuring

function cpuOf(setup) {
	return Object.fromEntries(
		Object.entries(setup.processes).map(([name, instance]) => [
			name,
			groupCpuSeconds(instance.child.pid),
		]),
	);
}

/** Resident memory of a process, from /proc. */
function residentBytes(instance) {
	const status = fs.readFileSync(`/proc/${instance.child.pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/**
 * n8n's heap in use after a full garbage collection, through the inspector n8n was started with
 * (NODE_OPTIONS=--inspect): HeapProfiler.collectGarbage, then process.memoryUsage() in n8n.
 * The client runs in Node 24, which has WebSocket built in. Also prom-client's
 * nodejs_heap_size_used_bytes on /metrics (N8N_METRICS), which is read without a collection.
 */
const GC_CLIENT = `
const [url] = process.argv.slice(1);
const ws = new WebSocket(url);
let id = 0;
const pending = new Map();
const call = (method, params = {}) => new Promise((resolve) => {
	pending.set(++id, resolve);
	ws.send(JSON.stringify({ id, method, params }));
});
ws.onmessage = (m) => { const r = JSON.parse(m.data); pending.get(r.id)?.(r); };
ws.onopen = async () => {
	await call('HeapProfiler.collectGarbage');
	const r = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
	console.log(r.result.result.value);
	ws.close();
	process.exit(0);
};
ws.onerror = () => process.exit(2);
setTimeout(() => process.exit(3), 60000);
`;

async function heapAfterGc(setup) {
	const { inspectPort } = setup;
	try {
		const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
		const url = targets[0].webSocketDebuggerUrl;
		const started = Date.now();
		const out = await new Promise((resolve, reject) =>
			execFile(runtimeFor(2).nodeBin, ['-e', GC_CLIENT, url], { timeout: 90_000 }, (e, stdout) =>
				e ? reject(e) : resolve(stdout),
			),
		);
		const usage = JSON.parse(out);
		return { heapUsed: usage.heapUsed, gcMs: Date.now() - started };
	} catch (error) {
		return { heapUsed: Number.NaN, error: error.message };
	}
}

async function metricsHeap(instance) {
	try {
		const text = await (
			await fetch(`${instance.baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
		).text();
		const line = text.split('\n').find((l) => /^\w*nodejs_heap_size_used_bytes /.test(l));
		return line ? Number(line.split(' ').pop()) : Number.NaN;
	} catch {
		return Number.NaN;
	}
}

function post(agent, url, { body, headers }) {
	return new Promise((resolve) => {
		const request = http.request(
			url,
			{
				method: 'POST',
				agent,
				headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
			},
			(response) => {
				const chunks = [];
				response.on('data', (chunk) => chunks.push(chunk));
				response.on('end', () =>
					resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }),
				);
			},
		);
		request.setTimeout(120_000, () => request.destroy(new Error('timeout')));
		request.on('error', (error) => resolve({ status: 0, text: error.message }));
		request.end(body);
	});
}

/**
 * SENDERS loops sending distinct signed events until `count` have been answered or `deadline`
 * passes; `onAnswer(answered)` is called after each answer. Signs each delivery as it sends it:
 * a soak lasts longer than the signature tolerance.
 */
async function send(setup, count, deadline, onAnswer = () => {}) {
	const template = eventOfSize(BODY_BYTES);
	const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
	let issued = 0;
	const tally = { answered: 0, accepted: 0, other: 0, errors: 0, firstProblem: undefined };
	const sender = async () => {
		while (issued < count && Date.now() < deadline) {
			const n = issued++;
			const id = `evt_${setup.run}${String(n).padStart(12, '0')}`;
			const answer = await post(
				agent,
				setup.url,
				signDelivery({ ...template, id }, { secret: setup.secret }),
			);
			if (answer.status === 200) {
				tally.answered++;
				if (answer.text.includes('"accepted"')) tally.accepted++;
				else tally.other++;
			} else {
				tally.errors++;
			}
			if (answer.status !== 200 || !answer.text.includes('"accepted"')) {
				tally.firstProblem ??= `${answer.status} ${answer.text.slice(0, 200)}`;
			}
			onAnswer(tally.answered + tally.errors);
		}
	};
	await Promise.all(Array.from({ length: SENDERS }, sender));
	agent.destroy();
	return tally;
}

/** Waits until no execution of the workflow is pending and the count stays put for a second. */
async function settle(setup, { timeoutMs = 300_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = -1;
	let stable = 0;
	while (Date.now() < deadline) {
		const counts = await setup.db.count(setup.workflowId);
		stable = counts.pending === 0 && counts.total === last ? stable + 1 : 0;
		if (stable >= 2) return { ...counts, settledAt: Date.now() };
		last = counts.total;
		await sleep(500);
	}
	const counts = await setup.db.count(setup.workflowId);
	return { ...counts, settledAt: Date.now(), timedOut: true };
}

/**
 * One soak on one set-up: the warm-up (fills the store to its cap), then DELIVERIES measured
 * deliveries with CPU read at every hundredth of them and heap once a second, then the wait for
 * the last executions, whose CPU counts in the last hundredth.
 */
async function soak(setup, deadline, log) {
	const name = `${setup.mode} ${setup.tag}`;
	setup.run = randomUUID().slice(0, 8);
	const warm = await send(setup, WARMUP, deadline);
	const warmSettled = await settle(setup);
	log(
		`B5 ${name}: warm-up ${formatInt(warm.accepted)} accepted, ${formatInt(warmSettled.succeeded)} executions`,
	);
	setup.run = randomUUID().slice(0, 8);
	// Heap after a forced collection at the start, at every tenth and after the last execution.
	const gcHeap = [{ delivered: 0, ...(await heapAfterGc(setup)) }];
	const probes = [];
	const checkpoints = [{ delivered: 0, ms: Date.now(), cpu: cpuOf(setup) }];
	const heap = [];
	let delivered = 0;
	let sampling = true;
	const sampler = (async () => {
		while (sampling) {
			const at = delivered;
			const heapUsed = await metricsHeap(setup.measured);
			heap.push({ delivered: at, ms: Date.now(), heapUsed, rss: residentBytes(setup.measured) });
			await sleep(HEAP_EVERY_MS);
		}
	})();
	const step = Math.max(1, Math.floor(DELIVERIES / CHECKPOINTS));
	const tenth = Math.max(1, Math.floor(DELIVERIES / 10));
	let lastLogMs = Date.now();
	const tally = await send(setup, DELIVERIES, deadline, (done) => {
		delivered = done;
		if (done % tenth === 0 && done < DELIVERIES) {
			probes.push(heapAfterGc(setup).then((probe) => gcHeap.push({ delivered: done, ...probe })));
		}
		if (done % step === 0) {
			checkpoints.push({ delivered: done, ms: Date.now(), cpu: cpuOf(setup) });
			if (Date.now() - lastLogMs > 60_000) {
				lastLogMs = Date.now();
				const [a, b] = checkpoints.slice(-2);
				const cpu = (c) => Object.values(c.cpu).reduce((x, y) => x + y, 0);
				log(
					`B5 ${name}: ${formatInt(done)} delivered, last ${step}: ${formatFixed(((cpu(b) - cpu(a)) * 1000) / (b.delivered - a.delivered), 1)} ms n8n CPU each, ${formatFixed(((b.delivered - a.delivered) * 1000) / (b.ms - a.ms), 1)}/s`,
				);
			}
		}
	});
	const sendEndMs = Date.now();
	const settled = await settle(setup);
	sampling = false;
	await sampler;
	await Promise.all(probes);
	const total = tally.answered + tally.errors;
	// The last executions' CPU counts in the last tenth.
	checkpoints.push({ delivered: total, ms: settled.settledAt, cpu: cpuOf(setup), final: true });
	heap.push({
		delivered: total,
		ms: Date.now(),
		heapUsed: await metricsHeap(setup.measured),
		rss: residentBytes(setup.measured),
	});
	gcHeap.push({ delivered: total, final: true, ...(await heapAfterGc(setup)) });
	gcHeap.sort((a, b) => a.delivered - b.delivered);
	log(
		`B5 ${name}: heap after collection ${gcHeap.map((h) => formatFixed(h.heapUsed / 1048576, 1)).join(', ')} MB`,
	);
	const executions = settled.succeeded - warmSettled.succeeded;
	log(
		`B5 ${name}: ${formatInt(tally.accepted)} accepted of ${formatInt(total)} sent, ${formatInt(executions)} executions, ${tally.errors} errors${tally.firstProblem ? ` (first problem: ${tally.firstProblem})` : ''}`,
	);
	return {
		mode: setup.mode,
		tag: setup.tag,
		planned: DELIVERIES,
		warmup: { accepted: warm.accepted, sent: WARMUP },
		tally,
		executions,
		failedExecutions:
			settled.total - settled.succeeded - (warmSettled.total - warmSettled.succeeded),
		seconds: (sendEndMs - checkpoints[0].ms) / 1000,
		backlogSeconds: (settled.settledAt - sendEndMs) / 1000,
		checkpoints,
		heap,
		gcHeap,
		measuredProcess: setup.measured.command,
	};
}

// ---------------------------------------------------------------------------------------------

function readResults() {
	try {
		return JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8'));
	} catch {
		return {};
	}
}

function saveResult(results, key, value) {
	// Re-read: another invocation may have saved a mode meanwhile.
	Object.assign(results, readResults(), { [key]: value });
	fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
	fs.writeFileSync(RESULTS_FILE, JSON.stringify(results));
}

async function runMode(mode, tarballs, workDir, log) {
	const { major } = MODES[mode];
	ensureInstalled(major, log);
	const loadBefore = machineLoad();
	const setups = {};
	try {
		// One after the other: two first start-ups of n8n at once on two cores time out.
		for (const tag of ['before', 'after']) {
			setups[tag] = await startSetup(mode, tarballs[tag], workDir, tag);
		}
		log(`B5 ${mode}: before and after up (load average ${formatFixed(os.loadavg()[0])})`);
		const deadline = Date.now() + MAX_MINUTES * 60_000;
		const loads = [];
		const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 10_000);
		const [before, after] = await Promise.all(
			['before', 'after'].map((tag) => soak(setups[tag], deadline, log)),
		);
		clearInterval(loadTimer);
		return {
			mode,
			label: MODES[mode].label,
			node: nodeVersion(setups.after.runtime),
			measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
			load: {
				before: loadBefore.load1,
				during: loads,
				after: os.loadavg()[0],
				cores: loadBefore.cores,
			},
			maxMinutes: MAX_MINUTES,
			before,
			after,
		};
	} finally {
		for (const setup of Object.values(setups)) await stopSetup(setup);
	}
}

function nodeVersion(runtime) {
	return execFileSync(runtime.nodeBin, ['--version'], { encoding: 'utf8' }).trim();
}

async function runB5({ command, log }) {
	const workDir = path.join(instancesDir(), `bench-b5-${Date.now()}`);
	const modes = selectedModes();
	const tarballs = {
		// bench/run.js has just built the working tree.
		after:
			process.env.BENCH_B5_AFTER_TARBALL ??
			packPackage(path.join(workDir, 'after'), { build: false }),
		before: beforeTarball(path.join(workDir, 'before'), log),
	};
	const sha = (file) =>
		require('node:crypto')
			.createHash('sha256')
			.update(fs.readFileSync(file))
			.digest('hex')
			.slice(0, 12);
	const packages = {
		before: `${BEFORE_COMMIT}, tarball ${sha(tarballs.before)}`,
		after: process.env.BENCH_B5_AFTER_TARBALL
			? `tarball ${sha(tarballs.after)}`
			: `${afterDescription()}, tarball ${sha(tarballs.after)}`,
	};
	// Kept, so another mode can be run later with the very same package (BENCH_B5_AFTER_TARBALL).
	const keptAfter = path.join(cacheDir(), `bench-b5-after-${sha(tarballs.after)}.tgz`);
	if (!fs.existsSync(keptAfter)) fs.copyFileSync(tarballs.after, keptAfter);
	log(`B5 the AFTER tarball is kept as ${keptAfter}`);
	log(`B5 before = ${packages.before}, after = ${packages.after}; modes ${modes.join(', ')}`);
	const results = readResults();
	const shape = {
		SENDERS,
		BODY_BYTES,
		MAX_STORED_IDS,
		DELIVERIES,
		WARMUP,
		MAX_MINUTES,
		CHECKPOINTS,
		MODES,
	};
	const section = () => b5Report({ command, results, shape });
	try {
		const one = async (mode) => {
			const result = await runMode(mode, tarballs, workDir, log);
			saveResult(results, mode, { ...result, packages, command });
			writeSections({ B5: section() });
		};
		if (process.env.BENCH_B5_PARALLEL) await Promise.all(modes.map(one));
		else for (const mode of modes) await one(mode);
	} finally {
		if (!process.env.BENCH_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
	}
	return section();
}

module.exports = { runB5, MODES };
