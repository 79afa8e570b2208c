'use strict';

const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { sleep } = require('./util');

const TRIGGER_TYPE = 'n8n-nodes-pivotal.pivotalTrigger';
const CREDENTIAL_TYPE = 'pivotalWebhookApi';
const TRIGGER_NAME = 'Pivotal Trigger';
/** The version a trigger dragged into a workflow gets (the node's defaultVersion). */
const TRIGGER_VERSION = 2;
/** The node's webhook path; it is not a full path, so n8n prefixes the node's webhookId. */
const WEBHOOK_PATH = 'webhook';
const EXAMPLES_DIR = path.join(__dirname, '..', '..', 'examples');

/** Where a test workflow's trigger leads by default: a No Operation node that shows the event. */
const SHOW_EVENT = {
	name: 'Show Event',
	type: 'n8n-nodes-base.noOp',
	typeVersion: 1,
	parameters: {},
};

/** A workflow of one trigger node followed by one node (by default, Show Event). */
function triggeredWorkflow({ name, trigger, next = SHOW_EVENT }) {
	return {
		name,
		nodes: [
			{ id: randomUUID(), position: [0, 0], ...trigger },
			{ id: randomUUID(), position: [260, 0], ...next },
		],
		connections: {
			[trigger.name]: { main: [[{ node: next.name, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * A workflow: Pivotal Trigger → `next` (by default a No Operation node that shows the event).
 * The webhookId is fixed by the caller so the webhook URLs are known before activation.
 */
function pivotalWorkflow({
	name,
	credential,
	webhookId = randomUUID(),
	events = '*',
	acknowledge,
	options = {},
	next,
	typeVersion = TRIGGER_VERSION,
}) {
	return triggeredWorkflow({
		name,
		trigger: {
			name: TRIGGER_NAME,
			type: TRIGGER_TYPE,
			typeVersion,
			webhookId,
			parameters: { events, ...(acknowledge ? { acknowledge } : {}), options },
			credentials: { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } },
		},
		next,
	});
}

/** examples/<name>/workflow.json as a user would import it. */
function loadExample(name) {
	return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, name, 'workflow.json'), 'utf8'));
}

/**
 * An example made to run here without outside accounts: the trigger gets the credential and a
 * known webhookId (the editor assigns both on import), the nodes named in `disable` are disabled
 * (they pass their input on), and `parameters` are merged into the nodes they name.
 */
function preparedExample(
	name,
	{ credential, webhookId = randomUUID(), disable = [], parameters = {} },
) {
	const example = loadExample(name);
	const names = new Set(example.nodes.map((node) => node.name));
	for (const named of [...disable, ...Object.keys(parameters)]) {
		if (!names.has(named)) throw new Error(`example ${name} has no node named ${named}`);
	}
	const nodes = example.nodes.map((node) => {
		const prepared = { ...node, parameters: { ...node.parameters, ...parameters[node.name] } };
		if (disable.includes(node.name)) prepared.disabled = true;
		if (node.type === TRIGGER_TYPE) {
			prepared.webhookId = webhookId;
			prepared.credentials = { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } };
		}
		return prepared;
	});
	return { ...example, nodes };
}

function webhookUrls(baseUrl, webhookId) {
	return {
		production: `${baseUrl}/webhook/${webhookId}/${WEBHOOK_PATH}`,
		test: `${baseUrl}/webhook-test/${webhookId}/${WEBHOOK_PATH}`,
	};
}

/**
 * Waits until n8n routes the production URL to the node: an unsigned POST then gets the node's
 * 401 instead of n8n's 404. n8n 2.x publishes a workflow's webhooks a moment after activation
 * answers, and both versions re-register them during start-up.
 */
async function waitUntilLive(url, { timeoutMs = 30_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = 'no answer';
	while (Date.now() < deadline) {
		try {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{}',
				signal: AbortSignal.timeout(5000),
			});
			const text = await response.text();
			if (response.status !== 404) return;
			last = `${response.status} ${text.slice(0, 200)}`;
		} catch (error) {
			last = error.message;
		}
		await sleep(200);
	}
	throw new Error(`webhook ${url} did not go live in ${timeoutMs} ms (last: ${last})`);
}

/** The first item a node passed on in an execution, or undefined when it did not run. */
function nodeOutput(execution, nodeName) {
	const runs = execution?.data?.resultData?.runData?.[nodeName];
	return runs?.[0]?.data?.main?.[0]?.[0]?.json;
}

/** The item the trigger handed to the workflow, or undefined when it did not run. */
function triggerOutput(execution) {
	return nodeOutput(execution, TRIGGER_NAME);
}

module.exports = {
	CREDENTIAL_TYPE,
	TRIGGER_NAME,
	TRIGGER_TYPE,
	TRIGGER_VERSION,
	loadExample,
	nodeOutput,
	pivotalWorkflow,
	preparedExample,
	triggerOutput,
	triggeredWorkflow,
	waitUntilLive,
	webhookUrls,
};
