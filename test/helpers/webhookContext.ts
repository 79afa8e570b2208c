import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { InstanceSettings, WebhookContext } from 'n8n-core';
import {
	Workflow,
	type IDataObject,
	type INode,
	type INodeTypes,
	type IWebhookData,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { PivotalTrigger } from '../../nodes/Pivotal/PivotalTrigger.node';

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
	const workflow = new Workflow({
		id: instance.workflowId,
		name: 'test',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		staticData: JSON.parse(JSON.stringify(instance.database.staticData)),
	});
	const response: FakeResponse = {};
	const res = {
		status(code: number) {
			response.statusCode = code;
			return res;
		},
		json(body: unknown) {
			response.body = body;
			return res;
		},
	};
	const req: IDataObject = {
		headers: delivery.headers,
		body: {},
		params: {},
		query: {},
		rawBody: delivery.bodyPreRead === false ? undefined : delivery.body,
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
	const context = new WebhookContext(workflow, node, additionalData, mode, webhookData, [], null);
	const result = await trigger.webhook.call(context);
	const staticData = workflow.staticData as IDataObject & { __dataChanged?: boolean };
	const save = () => {
		if (mode !== 'manual' && staticData.__dataChanged) {
			instance.database.staticData = JSON.parse(JSON.stringify(staticData));
		}
	};
	if (saving === 'now') save();
	return { result, response, save };
}
