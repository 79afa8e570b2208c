import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { ExecuteContext, InstanceSettings, WebhookContext } from 'n8n-core';
import {
	sleep,
	Workflow,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeTypes,
	type IRunExecutionData,
	type IWebhookData,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { PivotalTrigger } from '../../nodes/Pivotal/PivotalTrigger.node';
import { startLoopback } from './loopback';

export interface LoggedLine {
	level: string;
	message: string;
}

export const logged: LoggedLine[] = [];

const captureLogger = {
	error: (message: string) => logged.push({ level: 'error', message }),
	warn: (message: string) => logged.push({ level: 'warn', message }),
	info: (message: string) => logged.push({ level: 'info', message }),
	debug: (message: string) => logged.push({ level: 'debug', message }),
	scoped: () => captureLogger,
};
// n8n-core reads its logger and instance settings from n8n's DI container; the real ones would
// read ~/.n8n, so the test supplies its own.
Container.set(Logger, captureLogger as unknown as Logger);
Container.set(InstanceSettings, { instanceType: 'main' } as unknown as InstanceSettings);

const trigger = new PivotalTrigger();
const nodeTypes: INodeTypes = {
	getByName: () => trigger,
	getByNameAndVersion: () => trigger,
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;

export interface FakeResponse {
	statusCode?: number;
	body?: unknown;
}

/**
 * What happens after webhook() returned a run (n8n 2.x's order, the stricter one: its
 * webhook-time static-data write on this path is dropped):
 * - 'stopped': n8n stops before the execution exists; no run, no answer;
 * - 'succeeds' / 'fails': the run starts from the database's static data (the trigger's
 *   execute() first), n8n saves static data when the run ends, and n8n answers 200 after the
 *   execution exists (Acknowledge "When Received") or, with "When the Workflow Succeeds",
 *   after the run: 200 or 500.
 */
export type RunOutcome = 'stopped' | 'succeeds' | 'fails';

export interface Delivery {
	body: Buffer;
	headers: Record<string, string>;
	/** How n8n hands the body over: pre-read, or only on readRawBody() (e.g. octet-stream). */
	bodyPreRead?: boolean;
	/** The sender went away before the body was complete. */
	bodyUnreadable?: boolean;
}

export interface Instance {
	/** The workflow row's static data, as n8n's database would hold it between requests. */
	database: { staticData: IDataObject };
	credentials: IDataObject;
	parameters: INode['parameters'];
	nodeName: string;
	nodeId: string;
	workflowId: string;
}

export function newInstance(
	credentials: IDataObject,
	parameters: INode['parameters'] = { events: '*' },
): Instance {
	return {
		database: { staticData: {} },
		credentials,
		parameters,
		nodeName: 'Pivotal Trigger',
		nodeId: `node-${Math.random().toString(36).slice(2)}`,
		workflowId: `wf-${Math.random().toString(36).slice(2)}`,
	};
}

/**
 * Where the node's requests to itself land (its save requests): a loopback server that serves
 * each as n8n would, through serve(), for the instance named in the path. Made on first use.
 */
const selfRequests = {
	loopback: undefined as Promise<{ port: number; inFlight: Set<Promise<unknown>> }> | undefined,
	instances: new Map<string, Instance>(),
};

export async function selfAddress(
	instance: Instance,
): Promise<{ localAddress: string; localPort: number }> {
	selfRequests.instances.set(instance.workflowId, instance);
	selfRequests.loopback ??= startLoopback(async (path, body, headers) => {
		const target = selfRequests.instances.get(path.split('/').pop() ?? '');
		if (!target) return { status: 404, body: {} };
		const { result, response } = await serve(target, { body, headers });
		return {
			status: response.statusCode ?? 200,
			body: response.body ?? result.webhookResponse ?? {},
		};
	});
	return { localAddress: '127.0.0.1', localPort: (await selfRequests.loopback).port };
}

/** Waits until the node's requests to itself (its save requests) have been served and saved. */
export async function selfRequestsServed() {
	const inFlight = (await selfRequests.loopback)?.inFlight ?? new Set();
	// Quiet for 200 ms: a request the node is about to send has had time to arrive.
	for (let quiet = 0; quiet < 10; ) {
		await sleep(20);
		if (inFlight.size > 0) {
			await Promise.all([...inFlight]);
			quiet = 0;
		} else quiet++;
	}
}

/** The workflow as n8n loads it for each request and each run: static data fresh from the database. */
function loadWorkflow(instance: Instance, node: INode) {
	return new Workflow({
		id: instance.workflowId,
		name: 'test',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		staticData: JSON.parse(JSON.stringify(instance.database.staticData)),
	});
}

/**
 * Serves one request the way n8n's live-webhook path does: the workflow (and its static data) is
 * loaded afresh from the "database", the node's webhook() runs in n8n-core's real WebhookContext,
 * and static data is written back whole when it changed — last writer wins. With `saving: 'later'`
 * the caller decides when each request's save lands, to play out-of-order saves.
 */
export async function serve(
	instance: Instance,
	delivery: Delivery,
	mode: WorkflowExecuteMode = 'webhook',
	saving: 'now' | 'later' = 'now',
	run: RunOutcome = 'succeeds',
	n8nMajor: 1 | 2 = 2,
) {
	const node: INode = {
		id: instance.nodeId,
		name: instance.nodeName,
		type: 'n8n-nodes-pivotal.pivotalTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: instance.parameters,
		credentials: { pivotalWebhookApi: { id: 'cred1', name: 'Pivotal' } },
		webhookId: 'hook1',
	};
	const workflow = loadWorkflow(instance, node);
	const response: FakeResponse = {};
	let ended = () => {};
	// The node may hold n8n's answer back until its save request has landed (answerInPlaceOfN8n.ts).
	const answer = new Promise<void>((resolve) => {
		ended = resolve;
	});
	const headers: Record<string, unknown> = {};
	const res = {
		statusCode: 200,
		headersSent: false,
		status(code: number) {
			res.statusCode = code;
			return res;
		},
		json(body: unknown) {
			headers['content-type'] = 'application/json';
			return res.end(JSON.stringify(body));
		},
		setHeader(name: string, value: unknown) {
			headers[name] = value;
		},
		removeHeader(name: string) {
			delete headers[name];
		},
		end(text?: string) {
			response.statusCode = res.statusCode;
			response.body = text === undefined || text === '' ? undefined : JSON.parse(text);
			res.headersSent = true;
			ended();
			return res;
		},
	};
	const req: IDataObject = {
		headers: delivery.headers,
		body: {},
		params: {},
		query: {},
		rawBody: delivery.bodyPreRead === false ? undefined : delivery.body,
		// Where the node reaches itself: its save requests come back through serve().
		socket: await selfAddress(instance),
		originalUrl: `/webhook/${instance.workflowId}`,
		readRawBody: async () => {
			if (delivery.bodyUnreadable) throw new Error('aborted');
			req.rawBody = delivery.body;
		},
	};
	const additionalData = {
		httpRequest: req,
		httpResponse: res,
		credentialsHelper: {
			getDecrypted: async () => instance.credentials,
			isCredentialUsableByNode: () => true,
		},
	} as unknown as IWorkflowExecuteAdditionalData;
	const webhookData = {
		webhookDescription: trigger.description.webhooks![0],
		isTest: mode === 'manual',
	} as unknown as IWebhookData;
	const built = new WebhookContext(workflow, node, additionalData, mode, webhookData, [], null);
	// n8n 1.x's webhook context lacks what 2.x added since, which tells the two apart.
	const context =
		n8nMajor === 2
			? built
			: new Proxy(built, {
					has: (target, key) => key !== 'getWebhookResourceUrl' && key in target,
				});
	const result = await trigger.webhook.call(context);
	const staticData = workflow.staticData as IDataObject & { __dataChanged?: boolean };
	const save = () => {
		if (mode !== 'manual' && staticData.__dataChanged) {
			instance.database.staticData = JSON.parse(JSON.stringify(staticData));
		}
	};
	const items = result.workflowData?.[0];
	if (result.noWebhookResponse || !items) {
		if (saving === 'now') save();
		return { result, response, save, output: undefined };
	}
	if (run === 'stopped') return { result, response, save: () => {}, output: undefined };
	const answersAfterRun = instance.parameters.acknowledge === 'onSuccess';
	// n8n 1.x answers "When Received" before it writes the execution and starts the run.
	const answersFirst = n8nMajor === 1 && !answersAfterRun;
	if (answersFirst) res.status(200).end();
	const answeredBeforeRun = response.statusCode !== undefined;
	const ran = await runFromTrigger(instance, node, items, additionalData, mode);
	if (saving === 'now') ran.save();
	if (answersFirst) await sleep(0);
	else res.status(answersAfterRun && run === 'fails' ? 500 : 200).end();
	await answer;
	return { result, response, save: ran.save, output: ran.output, answeredBeforeRun };
}

/** The run's first step (the trigger's execute()) on a fresh load of the workflow, and its save. */
async function runFromTrigger(
	instance: Instance,
	node: INode,
	items: INodeExecutionData[],
	additionalData: IWorkflowExecuteAdditionalData,
	mode: WorkflowExecuteMode,
) {
	const workflow = loadWorkflow(instance, node);
	const inputData = { main: [JSON.parse(JSON.stringify(items)) as INodeExecutionData[]] };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		mode,
		{ resultData: { runData: {} } } as unknown as IRunExecutionData,
		0,
		inputData.main[0],
		inputData,
		{ node, data: inputData, source: null },
		[],
	);
	const [output] = await trigger.execute.call(context);
	const staticData = workflow.staticData as IDataObject & { __dataChanged?: boolean };
	const save = () => {
		if (mode !== 'manual' && staticData.__dataChanged) {
			instance.database.staticData = JSON.parse(JSON.stringify(staticData));
		}
	};
	return { output, save };
}
