'use strict';

const path = require('node:path');

const { N8nClient } = require('../../scripts/lib/api');
const { N8nInstance, freePort } = require('../../scripts/lib/n8n');
const { installCommunityPackage } = require('../../scripts/lib/package');
const { REPO_DIR, ensureInstalled, n8nDir, runtimeFor } = require('../../scripts/lib/runtimes');
const { newSecret, postDelivery, signDelivery } = require('../../scripts/lib/signing');
const { sleep } = require('../../scripts/lib/util');
const {
	CREDENTIAL_TYPE,
	pivotalWorkflow,
	preparedExample,
	waitUntilLive,
	webhookUrls,
} = require('../../scripts/lib/workflows');

const OWNER = { email: 'owner@example.com', password: 'Pivotal-e2e-1' };
/** How long the execution count must stay unchanged before a scenario trusts it. */
const QUIET_MS = Number(process.env.N8N_E2E_QUIET_MS || 1500);
const POLL_MS = 250;

/**
 * Which of `ids` a stored dedupe state holds, read with the package's own store code (the
 * built dist/), since ended hours are kept sealed (nodes/Pivotal/stores/sealedBucket.ts).
 */
function heldIds(stored, ids) {
	const { DedupeLedger } = require(
		path.join(REPO_DIR, 'dist', 'nodes', 'Pivotal', 'stores', 'dedupeLedger.js'),
	);
	const ledger = new DedupeLedger('e2e-reader');
	ledger.sync(stored, Math.floor(Date.now() / 1000));
	return ids.filter((id) => ledger.has(id));
}

/**
 * One n8n release with the packed package installed as a community package, an owner, an API
 * key, one credential (current + previous secret) and two active workflows:
 * `main` (events `*`) and `invoices` (events `invoice.*`).
 */
class E2eContext {
	constructor({ major, tarball, workDir, log }) {
		this.runtime = runtimeFor(major);
		this.tarball = tarball;
		this.userFolder = path.join(workDir, `n8n-${this.runtime.version}`);
		this.log = log;
		this.secret = newSecret();
		this.previousSecret = newSecret(24);
		/** Event ids the main workflow accepted in production, for the restart scenario. */
		this.acceptedIds = [];
		/** Measured figures the scenarios report, printed again at the end of the run. */
		this.figures = [];
	}

	/** Logs a scenario's measured figures and keeps them for the run's summary. */
	report(label, figures) {
		this.figures.push({ label, figures });
		this.log(`${label}: ${JSON.stringify(figures)}`);
	}

	logTails(lines) {
		return this.instance ? this.instance.logTail(lines) : '';
	}

	get label() {
		return `n8n ${this.runtime.version}`;
	}

	async setUp() {
		await this.startWithOwner();
		this.credential = await this.client.createCredential({
			name: 'Pivotal (e2e)',
			type: CREDENTIAL_TYPE,
			data: { signingSecret: this.secret, previousSigningSecret: this.previousSecret },
		});
		this.main = await this.addWorkflow('Pivotal e2e: all events', '*');
		this.invoices = await this.addWorkflow('Pivotal e2e: invoice events', 'invoice.*');
	}

	/** n8n with the package installed, its owner and an API key; no credential, no workflow. */
	async startWithOwner() {
		ensureInstalled(this.runtime.major, this.log);
		installCommunityPackage(this.userFolder, this.tarball);
		this.instance = new N8nInstance({
			runtime: this.runtime,
			userFolder: this.userFolder,
			port: await freePort(),
			brokerPort: await freePort(),
			logFile: path.join(this.userFolder, 'n8n.log'),
		});
		const started = Date.now();
		await this.instance.start();
		this.log(`${this.label} ready in ${Date.now() - started} ms (log: ${this.instance.logFile})`);

		this.client = new N8nClient(this.instance.baseUrl);
		await this.client.setupOwner(OWNER);
		await this.client.createApiKey();
	}

	/** @param {{ acknowledge?: string, next?: object }} [shape] the Acknowledge mode, the node after the trigger */
	async addWorkflow(name, events, options = {}, shape = {}) {
		return await this.activate(
			pivotalWorkflow({ name, credential: this.credential, events, options, ...shape }),
		);
	}

	/** Imports examples/<name>/workflow.json (see preparedExample) and activates it. */
	async importExample(name, { disable, parameters } = {}) {
		return await this.activate(
			preparedExample(name, { credential: this.credential, disable, parameters }),
		);
	}

	/** Creates the workflow through the public API, activates it, waits until it is live. */
	async activate(definition) {
		const created = await this.client.createWorkflow(definition);
		const activated = await this.client.activateWorkflow(created.id);
		if (!activated.active) throw new Error(`workflow ${created.id} did not activate`);
		const trigger = created.nodes.find((node) => node.webhookId);
		const { webhookId } = trigger;
		const workflow = {
			id: created.id,
			nodeId: trigger.id,
			webhookId,
			urls: webhookUrls(this.instance.baseUrl, webhookId),
		};
		for (const url of this.productionUrls(workflow)) await waitUntilLive(url);
		return workflow;
	}

	/** Where production deliveries for `workflow` can be sent. */
	productionUrls(workflow) {
		return [workflow.urls.production];
	}

	/**
	 * Stops n8n (SIGTERM, or SIGKILL with `crash`), starts it on the same folder and waits until
	 * the workflows' webhooks are live again.
	 */
	async restart({ crash = false, workflows = [] } = {}) {
		if (crash) await this.instance.kill();
		else await this.instance.stop();
		await this.instance.start();
		for (const workflow of [this.main, this.invoices, ...workflows]) {
			await waitUntilLive(workflow.urls.production);
		}
	}

	/** Closes what scenarios opened beside n8n (ctx.cleanups), so the suite's process can exit. */
	async closeScenarioResources() {
		for (const close of this.cleanups ?? []) await close();
		this.cleanups = [];
	}

	async tearDown() {
		await this.closeScenarioResources();
		if (this.instance) await this.instance.stop();
	}

	/** Signs with the current secret unless told otherwise and posts to the main workflow. */
	async send(body, { url = this.main.urls.production, ...signing } = {}) {
		return await postDelivery(url, signDelivery(body, { secret: this.secret, ...signing }));
	}

	/** Which of `ids` the workflow's saved static data holds, read back through the public API. */
	async storedIds(workflow, ids) {
		const { staticData } = await this.client.getWorkflow(workflow.id);
		const global = staticData?.global ?? {};
		const key = Object.keys(global).find((name) => name.startsWith('pivotalTrigger.dedupe.'));
		return { held: heldIds(global[key], ids), rev: global[key]?.rev };
	}

	/**
	 * How many executions of `workflow` the database holds with their data, by status, read from
	 * n8n's SQLite file: the public API does not list every crashed execution.
	 */
	async executionRows(workflow) {
		const rows = await this.query(
			// An execution without its data cannot be retried: for the event, it does not exist.
			'SELECT e.status, COUNT(*) AS count FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? GROUP BY e.status',
			[workflow.id],
		);
		return Object.fromEntries(rows.map(({ status, count }) => [status, count]));
	}

	/** Rows from n8n's SQLite file, opened read-only with n8n's own driver. */
	async query(sql, params) {
		const sqlite3 = require(path.join(n8nDir(this.runtime.major), 'node_modules', 'sqlite3'));
		const file = path.join(this.userFolder, '.n8n', 'database.sqlite');
		const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
		try {
			return await new Promise((resolve, reject) =>
				db.all(sql, params, (error, result) => (error ? reject(error) : resolve(result))),
			);
		} finally {
			db.close();
		}
	}

	async executionIds(workflow) {
		const list = await this.client.listExecutions(workflow.id, { includeData: false });
		return list.map((execution) => execution.id);
	}

	/**
	 * Runs `act`, then waits until the workflow's finished executions stop changing (n8n 2.x may
	 * finish a run a little after the 200) and returns the new ones with their data.
	 * Waits at least QUIET_MS even when none is expected, so a late one would be seen.
	 */
	async observe(workflow, act, { atLeast = 0, timeoutMs = 30_000 } = {}) {
		const before = new Set(await this.executionIds(workflow));
		const result = await act();
		const deadline = Date.now() + timeoutMs;
		let fresh = [];
		let stableSince = Date.now();
		for (;;) {
			const now = (await this.executionIds(workflow)).filter((id) => !before.has(id));
			if (now.length !== fresh.length) stableSince = Date.now();
			fresh = now;
			const quiet = Date.now() - stableSince >= QUIET_MS;
			if ((quiet && fresh.length >= atLeast) || Date.now() > deadline) break;
			await sleep(POLL_MS);
		}
		const executions = [];
		for (const id of fresh) executions.push(await this.client.getExecution(id));
		return { result, executions };
	}
}

module.exports = { E2eContext, OWNER };
