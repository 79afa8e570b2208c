#!/usr/bin/env node
'use strict';

/**
 * `npm start`: a local n8n 2.41.1 with this package installed as a community package, an owner,
 * a credential and an active demo workflow, all kept in
 * ~/.cache/n8n-nodes-pivotal/instances/demo/ so the next start reuses them.
 * N8N_PORT picks the port (default 5678). Ctrl-C stops n8n.
 */

const path = require('node:path');

const { N8nClient } = require('./lib/api');
const { DEMO_DIR, STATE_FILE, readDemoState, writeDemoState } = require('./lib/demo');
const { N8nInstance, freePort, isPortFree, stopAll } = require('./lib/n8n');
const { installCommunityPackage, packPackage } = require('./lib/package');
const { ensureInstalled, runtimeFor } = require('./lib/runtimes');
const { newSecret } = require('./lib/signing');
const { CREDENTIAL_TYPE, pivotalWorkflow, waitUntilLive, webhookUrls } = require('./lib/workflows');

const MAJOR = 2;
const OWNER = { email: 'demo@example.com', password: 'Pivotal-demo-1' };

async function provision(client) {
	try {
		await client.setupOwner({ ...OWNER, firstName: 'Pivotal', lastName: 'Demo' });
	} catch (error) {
		throw new Error(
			`cannot create the owner (${error.message}).\n` +
				`${STATE_FILE} is missing but the instance already has an owner: ` +
				`delete ${DEMO_DIR}/ to start over.`,
		);
	}
	const apiKey = await client.createApiKey('pivotal-demo');
	const signingSecret = newSecret();
	const credential = await client.createCredential({
		name: 'Pivotal (demo)',
		type: CREDENTIAL_TYPE,
		data: { signingSecret },
	});
	const workflow = await client.createWorkflow(
		pivotalWorkflow({
			name: 'Pivotal demo',
			credential,
			events: '*',
			options: { includeDeliveryMetadata: true },
		}),
	);
	return {
		...OWNER,
		apiKey,
		signingSecret,
		credentialId: credential.id,
		workflowId: workflow.id,
		webhookId: workflow.nodes[0].webhookId,
	};
}

/** The saved state when its API key still opens its workflow, else undefined. */
async function reusable(client, state) {
	if (!state?.apiKey || !state.workflowId) return undefined;
	client.apiKey = state.apiKey;
	try {
		return { state, workflow: await client.getWorkflow(state.workflowId) };
	} catch (error) {
		console.log(`Cannot reuse ${STATE_FILE} (${error.message}); creating the demo again.`);
		return undefined;
	}
}

async function main() {
	const port = Number(process.env.N8N_PORT || 5678);
	if (!(await isPortFree(port))) {
		throw new Error(`port ${port} is in use (another n8n?); set N8N_PORT to use another one`);
	}
	ensureInstalled(MAJOR);
	const runtime = runtimeFor(MAJOR);

	console.log('Building and packing n8n-nodes-pivotal…');
	const tarball = packPackage(path.join(DEMO_DIR, 'pack'));
	// Reinstalled on every start, so the demo always runs the code in this checkout.
	installCommunityPackage(DEMO_DIR, tarball);

	let echo = false;
	const instance = new N8nInstance({
		runtime,
		userFolder: DEMO_DIR,
		port,
		brokerPort: (await isPortFree(port + 1)) ? port + 1 : await freePort(),
		logFile: path.join(DEMO_DIR, 'n8n.log'),
		onOutput: (chunk) => {
			if (echo) process.stdout.write(chunk);
		},
	});
	console.log(`Starting n8n ${runtime.version} on 127.0.0.1:${port}…`);
	await instance.start();

	const client = new N8nClient(instance.baseUrl);
	const saved = await reusable(client, readDemoState());
	let state;
	if (saved) {
		state = saved.state;
		if (!saved.workflow.active) await client.activateWorkflow(state.workflowId);
	} else {
		state = await provision(client);
		await client.activateWorkflow(state.workflowId);
	}
	const urls = webhookUrls(instance.baseUrl, state.webhookId);
	state = {
		...state,
		editorUrl: instance.baseUrl,
		webhookUrl: urls.production,
		testWebhookUrl: urls.test,
	};
	writeDemoState(state);
	await waitUntilLive(urls.production);

	console.log(`
n8n ${runtime.version} is running with n8n-nodes-pivotal installed as a community package.

  Editor           ${state.editorUrl}/workflow/${state.workflowId}
  Login            ${state.email} / ${state.password}
  Webhook URL      ${state.webhookUrl}
  Test URL         ${state.testWebhookUrl}  (after "Execute step" in the trigger's panel)
  Signing secret   ${state.signingSecret}

Send a signed event (url and secret are read from ${STATE_FILE}):
  npm run send-event -- --type invoice.paid
  npm run send-event -- --repeat 5 --concurrency 5     (5 retries of one event: one execution)

n8n data and log: ${DEMO_DIR}/   Ctrl-C stops n8n.
`);
	echo = true;

	const { code, signal } = await instance.exited;
	if (!stopping) {
		console.error(
			`n8n exited on its own (code ${code}, signal ${signal}); see ${instance.logFile}`,
		);
		process.exit(1);
	}
}

let stopping = false;
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(name, async () => {
		if (stopping) return;
		stopping = true;
		console.log(`\n${name}: stopping n8n…`);
		await stopAll();
		console.log('n8n stopped.');
		process.exit(0);
	});
}

main().catch(async (error) => {
	console.error(`npm start failed: ${error.message}`);
	await stopAll();
	process.exit(1);
});
