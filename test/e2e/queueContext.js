'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { N8nClient } = require('../../scripts/lib/api');
const { N8nInstance, freePort } = require('../../scripts/lib/n8n');
const { installCommunityPackage } = require('../../scripts/lib/package');
const { ensureInstalled } = require('../../scripts/lib/runtimes');
const { PostgresServer, RedisServer } = require('../../scripts/lib/services');
const { sampleEvent } = require('../../scripts/lib/signing');
const { waitUntilLive, webhookUrls } = require('../../scripts/lib/workflows');
const { E2eContext, OWNER } = require('./context');

/** Queue mode shares one database between processes; they must all decrypt its credentials. */
const ENCRYPTION_KEY = 'pivotal-e2e-queue-mode-key';

/**
 * n8n in queue mode, as a team that outgrew one process runs it: PostgreSQL and Redis on
 * loopback, one main process (editor, API, activation; it serves no production webhooks), two
 * `n8n webhook` processes that a balancer would share deliveries between, and one `n8n worker`
 * that runs the executions. Every process has its own user folder with the package installed as
 * a community package. Workflows are those of E2eContext; `webhooks` are the two processes.
 */
class QueueContext extends E2eContext {
	get label() {
		return `n8n ${this.runtime.version} queue mode`;
	}

	async setUp() {
		ensureInstalled(this.runtime.major, this.log);
		this.postgres = new PostgresServer({ port: await freePort() });
		this.redis = new RedisServer({
			dir: path.join(this.userFolder, 'redis'),
			port: await freePort(),
		});
		await this.postgres.start();
		await this.redis.start();
		this.log(`PostgreSQL on :${this.postgres.port}, Redis on :${this.redis.port}`);

		const env = {
			...this.postgres.n8nEnv(),
			...this.redis.n8nEnv(),
			EXECUTIONS_MODE: 'queue',
			N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
			// Production deliveries go to the webhook processes only, as behind a real balancer.
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		};
		const mainFolder = path.join(this.userFolder, 'main');
		installCommunityPackage(mainFolder, this.tarball);
		const processFor = async (name, command) => {
			const userFolder = path.join(this.userFolder, name);
			if (userFolder !== mainFolder) {
				fs.cpSync(path.join(mainFolder, '.n8n', 'nodes'), path.join(userFolder, '.n8n', 'nodes'), {
					recursive: true,
				});
			}
			return new N8nInstance({
				runtime: this.runtime,
				command,
				userFolder,
				port: await freePort(),
				brokerPort: await freePort(),
				logFile: path.join(userFolder, 'n8n.log'),
				env,
			});
		};
		this.instance = await processFor('main', 'start');
		this.webhooks = [
			await processFor('webhook-1', 'webhook'),
			await processFor('webhook-2', 'webhook'),
		];
		this.worker = await processFor('worker', 'worker');

		const started = Date.now();
		// The main process runs the database migrations; the others wait for them.
		await this.instance.start();
		this.client = new N8nClient(this.instance.baseUrl);
		await this.client.setupOwner(OWNER);
		await this.client.createApiKey();
		await Promise.all([...this.webhooks, this.worker].map((instance) => instance.start()));
		this.log(
			`${this.label}: main, 2 webhook processes and a worker ready in ${Date.now() - started} ms`,
		);

		this.credential = await this.client.createCredential({
			name: 'Pivotal (e2e queue)',
			type: 'pivotalWebhookApi',
			data: { signingSecret: this.secret },
		});
		this.main = await this.addWorkflow('Pivotal e2e queue: all events', '*');
		this.routed = await this.addWorkflow('Pivotal e2e queue: routed to one process', '*', {
			routeToOneProcess: true,
		});
		await this.introduceProcesses(this.routed);
	}

	/**
	 * Processes learn each other's addresses from the store, which each one writes when it
	 * records an event: one event on each, then one more each to read what the other wrote.
	 */
	async introduceProcesses(workflow) {
		// Observed, so their executions are done before any scenario counts executions.
		await this.observe(
			workflow,
			async () => {
				for (const which of [0, 1, 0, 1]) {
					const answer = await this.send(sampleEvent(), { url: this.urlOn(workflow, which) });
					if (answer.status !== 200) {
						throw new Error(`introduction: ${answer.status} ${answer.text}`);
					}
				}
			},
			{ atLeast: 4 },
		);
	}

	/** The production URL of `workflow` on webhook process 0 or 1. */
	urlOn(workflow, which) {
		return webhookUrls(this.webhooks[which].baseUrl, workflow.webhookId).production;
	}

	productionUrls(workflow) {
		return [this.urlOn(workflow, 0), this.urlOn(workflow, 1)];
	}

	/** Restarts only the two webhook processes, which hold the dedupe ledgers in memory. */
	async restartWebhookProcesses() {
		await Promise.all(this.webhooks.map((instance) => instance.restart()));
		for (const url of this.productionUrls(this.main)) await waitUntilLive(url);
	}

	/** Lines of the webhook processes' logs that contain `text`. */
	webhookLogLines(text) {
		return this.webhooks
			.flatMap((instance) => fs.readFileSync(instance.logFile, 'utf8').split('\n'))
			.filter((line) => line.includes(text));
	}

	logTails(lines) {
		return [this.instance, ...(this.webhooks ?? []), this.worker]
			.filter(Boolean)
			.map((instance) => `--- ${instance.command} ${instance.logFile}\n${instance.logTail(lines)}`)
			.join('\n');
	}

	async tearDown() {
		await this.closeScenarioResources();
		const instances = [this.worker, ...(this.webhooks ?? []), this.instance].filter(Boolean);
		await Promise.all(instances.map((instance) => instance.stop()));
		if (this.redis) await this.redis.stop();
		if (this.postgres) await this.postgres.stop();
	}
}

module.exports = { QueueContext };
