import type { IWebhookFunctions } from 'n8n-workflow';

import {
	readConfiguration,
	settingsFrom,
	type NodeConfiguration,
	type TriggerOptions,
} from '../delivery/configuration';
import type { LogLine } from '../delivery/outcome';
import { HourlyNotice } from '../stores/hourlyNotice';
import {
	acknowledgeModeOf,
	CLAIM_HOLD_SECONDS,
	isAcknowledgeMode,
	type AcknowledgeMode,
} from './acknowledge';
import { nowSeconds } from './process';

export const CREDENTIAL = 'pivotalWebhookApi';

type Logged = Pick<IWebhookFunctions, 'logger' | 'getNode' | 'getWorkflow'>;

/** Writes the node's log lines to n8n's log, naming the node and its workflow. */
export function logTo(context: Logged) {
	return (lines: LogLine[]) => {
		for (const { level, message } of lines) {
			context.logger[level](`Pivotal Trigger "${context.getNode().name}": ${message}`, {
				workflowId: context.getWorkflow().id,
			});
		}
	};
}

/** What one request reads of the node's credential and parameters, once. */
export interface NodeEdge {
	config: NodeConfiguration;
	acknowledge: AcknowledgeMode;
	options: TriggerOptions;
}

const unknownAcknowledgeNotice = new HourlyNotice();

/**
 * Reads the credential and the parameters; throws what n8n throws when it cannot. An
 * Acknowledge value this release does not know waits for the run (see acknowledge.ts).
 */
export async function readEdge(
	context: IWebhookFunctions,
	log: (lines: LogLine[]) => void,
): Promise<NodeEdge> {
	const credentials = await context.getCredentials(CREDENTIAL);
	const acknowledgeValue = context.getNodeParameter('acknowledge', 'onReceipt');
	if (!isAcknowledgeMode(acknowledgeValue) && unknownAcknowledgeNotice.due(nowSeconds())) {
		log([
			{
				level: 'warn',
				message: `Acknowledge has a value this release does not know (${JSON.stringify(acknowledgeValue)}): answering when the workflow succeeds (said at most once an hour)`,
			},
		]);
	}
	const options = context.getNodeParameter('options', {}) as TriggerOptions;
	const config = readConfiguration({
		signingSecret: credentials.signingSecret,
		previousSigningSecret: credentials.previousSigningSecret,
		events: context.getNodeParameter('events', '*'),
		settings: settingsFrom(options, CLAIM_HOLD_SECONDS),
	});
	return { config, acknowledge: acknowledgeModeOf(acknowledgeValue), options };
}

/**
 * The request's bytes as received: n8n pre-reads most content types into `rawBody`, the rest
 * are read here. Undefined when the sender went away mid-body.
 */
export async function rawBodyOf(
	req: ReturnType<IWebhookFunctions['getRequestObject']>,
	log: (lines: LogLine[]) => void,
): Promise<Buffer | undefined> {
	if (req.rawBody === undefined) {
		try {
			await req.readRawBody();
		} catch (error) {
			log([{ level: 'warn', message: `could not read the body: ${(error as Error).message}` }]);
			return undefined;
		}
	}
	return req.rawBody ?? Buffer.alloc(0);
}

/**
 * n8n 1.x answers "When Received" before it writes the execution; 2.x after. Told apart by the
 * webhook context, which n8n-core builds: 2.x's has getWebhookResourceUrl, 1.x's does not.
 */
export function answersBeforeExecutionExists(context: IWebhookFunctions): boolean {
	return !('getWebhookResourceUrl' in context);
}
