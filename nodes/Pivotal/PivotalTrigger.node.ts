import { randomBytes } from 'node:crypto';
import {
	NodeConnectionTypes,
	NodeOperationError,
	sleep,
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type IDataObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import {
	acknowledgeModeOf,
	isAcknowledgeMode,
	CLAIM_HOLD_SECONDS,
	recordsWhenRunStarts,
	type AcknowledgeMode,
} from './n8n/acknowledge';
import { answerInPlaceOfN8n, type AnswerableResponse } from './n8n/answerInPlaceOfN8n';
import {
	MISCONFIGURED,
	firstReadWhenSigned,
	receiveDelivery,
	type DeliveryRequest,
	type DeliverySettings,
	type LogLine,
} from './delivery/delivery';
import { HourlyNotice } from './stores/entryLog';
import { addressOf, FORWARDED_HEADER } from './delivery/eventOwner';
import { nodeKey, ProcessStores } from './n8n/nodeStores';
import { bounded, optionProblems } from './delivery/optionBounds';
import { CLAIM_FIELD, openClaim, sealClaim, withoutInternalFields } from './delivery/runClaim';
import { passOn } from './n8n/passOn';
import { RunStarts } from './n8n/runStart';
import { saveSoon, sendSaveRequest } from './n8n/saveRequest';
import { RUN_START_WAIT_MS, settleOnAnswer } from './n8n/settlement';
import { compileEventTypeFilter } from './protocol/eventTypeFilter';
import { parseSigningSecret } from './protocol/signingSecret';

import {
	DEFAULT_OBJECT_ID_FIELD,
	DEFAULT_OBJECT_VERSION_FIELD,
	PROPERTIES,
	WEBHOOKS,
} from './description';

const CREDENTIAL = 'pivotalWebhookApi';

export type { PivotalDeliveryMetadata, PivotalEvent } from './protocol/PivotalEvent';

const SECONDS_PER_DAY = 86_400;

interface TriggerOptions {
	output?: 'event' | 'object';
	includeDeliveryMetadata?: boolean;
	toleranceSeconds?: number;
	retentionDays?: number;
	maxStoredIds?: number;
	routeToOneProcess?: boolean;
	skipStale?: boolean;
	objectIdField?: string;
	objectVersionField?: string;
}

function settingsFrom(options: TriggerOptions): DeliverySettings {
	return {
		output: options.output ?? 'event',
		includeDeliveryMetadata: options.includeDeliveryMetadata ?? false,
		toleranceSeconds: bounded('toleranceSeconds', options.toleranceSeconds).value,
		retentionSeconds: bounded('retentionDays', options.retentionDays).value * SECONDS_PER_DAY,
		maxIds: bounded('maxStoredIds', options.maxStoredIds).value,
		claimHoldSeconds: CLAIM_HOLD_SECONDS,
		ordering: options.skipStale
			? {
					objectIdField: options.objectIdField?.trim() || DEFAULT_OBJECT_ID_FIELD,
					objectVersionField: options.objectVersionField?.trim() || DEFAULT_OBJECT_VERSION_FIELD,
				}
			: undefined,
	};
}

/**
 * How long a run may wait to carry the ids of the runs after it in one save: the most an id
 * stays unsaved (lost by a crash in that time, so its event runs again), and the most a
 * "When the Workflow Succeeds" answer waits for it.
 */
const GROUP_COMMIT_MS = 250;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every trigger node's state in this process. */
const processStores = new ProcessStores({
	// 48 random bits: hundreds of writers within a retention never meet the same name.
	newWriterId: () => randomBytes(6).toString('base64url'),
	groupCommitMs: GROUP_COMMIT_MS,
	clockMs: Date.now,
	sleep,
});

/**
 * Lets n8n serve other requests between the parts of a store's first read, for as long as the
 * part before took: the read then has at most half of n8n's time, and a request waiting on the
 * database is not queued behind one part after another.
 */
function turnsOfTheEventLoop() {
	let resumedAt = Date.now();
	return async () => {
		await sleep(Date.now() - resumedAt);
		resumedAt = Date.now();
	};
}

const runStarts = new RunStarts(sleep);
const unknownAcknowledgeNotice = new HourlyNotice();
/**
 * How long after the answer a run of this process's must have started before the run is taken
 * for another process's (a queue-mode worker's): n8n 2.x starts a local run as it answers. A run
 * later than that costs one save request more, nothing else.
 */
const LOCAL_RUN_WAIT_MS = 300;

function runKeyOf(workflowId: string | undefined, nodeId: string, eventId: string): string {
	return `${nodeKey(workflowId, nodeId)}:${eventId}`;
}

/**
 * n8n 1.x answers "When Received" before it writes the execution; 2.x after. Told apart by the
 * webhook context, which n8n-core builds: 2.x's has getWebhookResourceUrl, 1.x's does not.
 */
function answersBeforeExecutionExists(context: IWebhookFunctions): boolean {
	return !('getWebhookResourceUrl' in context);
}

/** Writes the node's log lines to n8n's log, naming the node and its workflow. */
function logTo(context: Pick<IWebhookFunctions, 'logger' | 'getNode' | 'getWorkflow'>) {
	return (lines: LogLine[]) => {
		for (const { level, message } of lines) {
			context.logger[level](`Pivotal Trigger "${context.getNode().name}": ${message}`, {
				workflowId: context.getWorkflow().id,
			});
		}
	};
}

export class PivotalTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Pivotal Trigger',
		name: 'pivotalTrigger',
		icon: { light: 'file:pivotal.svg', dark: 'file:pivotal.dark.svg' },
		group: ['trigger'],
		// Version 2 changes nothing in the node: n8n itself, for a start node of version 1, evaluates an
		// expression (its Webhook node's old binaryData option) on every request, which on n8n 2.x
		// costs an expression isolate. From 2 on, the webhook phase evaluates none.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["events"]}}',
		description:
			'Starts the workflow when Pivotal sends a webhook event, after checking its signature',
		defaults: { name: 'Pivotal Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'pivotalWebhookApi', required: true, testedBy: 'pivotalSigningSecretTest' },
		],
		webhooks: WEBHOOKS,
		properties: PROPERTIES,
	};

	methods = {
		credentialTest: {
			async pivotalSigningSecretTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = credential.data ?? {};
				const current = parseSigningSecret(data.signingSecret);
				if (!current.ok) return { status: 'Error', message: current.problem };
				const previous = data.previousSigningSecret;
				if (typeof previous === 'string' && previous.trim() !== '') {
					const parsed = parseSigningSecret(previous);
					if (!parsed.ok) {
						return {
							status: 'Error',
							message: `Previous Signing Secret: ${parsed.problem}. Clear this field unless you are rotating the secret`,
						};
					}
				}
				return { status: 'OK', message: 'The signing secret is well-formed' };
			},
		},
	};

	webhookMethods = {
		default: {
			// Pivotal endpoints are added by hand in Pivotal's dashboard, so there is nothing remote
			// to look up or register: activation is where a broken configuration is reported.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const credentials = await this.getCredentials(CREDENTIAL);
				const secret = parseSigningSecret(credentials.signingSecret);
				if (!secret.ok) throw new NodeOperationError(this.getNode(), secret.problem);
				const filter = compileEventTypeFilter(this.getNodeParameter('events', '*'));
				if (!filter.ok) throw new NodeOperationError(this.getNode(), filter.problem);
				const problems = optionProblems(this.getNodeParameter('options', {}) as TriggerOptions);
				if (problems.length > 0) {
					throw new NodeOperationError(
						this.getNode(),
						`${problems.join('; ')}. Fix it under Options`,
					);
				}
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				// Deactivated or deleted: its stores' indexes need not stay in memory (see nodeMemory.ts).
				processStores.release(this.getWorkflow().id, this.getNode().id, nowSeconds());
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const node = this.getNode();
		const res = this.getResponseObject();
		const log = logTo(this);

		let credentials: IDataObject;
		let events: unknown;
		let acknowledge: AcknowledgeMode;
		let options: TriggerOptions;
		try {
			credentials = await this.getCredentials(CREDENTIAL);
			events = this.getNodeParameter('events', '*');
			const acknowledgeValue = this.getNodeParameter('acknowledge', 'onReceipt');
			acknowledge = acknowledgeModeOf(acknowledgeValue);
			if (!isAcknowledgeMode(acknowledgeValue) && unknownAcknowledgeNotice.due(nowSeconds())) {
				log([
					{
						level: 'warn',
						message: `Acknowledge has a value this release does not know (${JSON.stringify(acknowledgeValue)}): answering when the workflow succeeds (said at most once an hour)`,
					},
				]);
			}
			options = this.getNodeParameter('options', {}) as TriggerOptions;
		} catch (error) {
			// Answering 500 makes Pivotal retry, so no event is lost while the node is fixed.
			log([
				{
					level: 'error',
					message: `cannot read the node's configuration: ${(error as Error).message}`,
				},
			]);
			res.status(500).json(MISCONFIGURED);
			return { noWebhookResponse: true };
		}

		const req = this.getRequestObject();
		if (req.rawBody === undefined) {
			try {
				await req.readRawBody();
			} catch (error) {
				// The sender went away mid-body: nothing to verify, and nothing to run or record.
				log([{ level: 'warn', message: `could not read the body: ${(error as Error).message}` }]);
				res.status(400).json({ status: 'invalid', message: 'Body could not be read' });
				return { noWebhookResponse: true };
			}
		}
		const isTestRun = this.getMode() === 'manual';
		const stores = isTestRun
			? undefined
			: processStores.storesIn(
					this.getWorkflowStaticData('global'),
					this.getWorkflow().id,
					node.id,
					options.skipStale === true,
					nowSeconds(),
				);
		const headers = this.getHeaderData();
		const self = options.routeToOneProcess && stores ? addressOf(req.socket) : undefined;
		if (self) stores?.dedupe.ledger.locatedAt(self);

		const delivery: DeliveryRequest = {
			rawBody: req.rawBody ?? Buffer.alloc(0),
			headers,
			signingSecret: credentials.signingSecret,
			previousSigningSecret: credentials.previousSigningSecret,
			events,
			settings: settingsFrom(options),
			nowMs: Date.now(),
			dedupe: stores?.dedupe,
			versions: stores?.versions,
			route: self && headers[FORWARDED_HEADER] === undefined ? { self } : undefined,
		};
		// Read now: once the sender has gone, the socket no longer knows its local end.
		const here = addressOf(req.socket);
		const secret = parseSigningSecret(credentials.signingSecret);
		const save =
			here && secret.ok
				? () =>
						saveSoon(`${this.getWorkflow().id}:${node.id}`, () =>
							sendSaveRequest(this, secret.key, `${here}${req.originalUrl}`, log),
						)
				: undefined;
		await firstReadWhenSigned(delivery, turnsOfTheEventLoop());
		let outcome = receiveDelivery(delivery);
		log(outcome.log);
		if (outcome.forwardTo) {
			const answer = await passOn(this, outcome.forwardTo, delivery, req.originalUrl, log);
			if (answer) {
				res.status(answer.httpStatus).json(answer.body);
				// This request's copy of static data, loaded before the owner wrote the event, may be
				// saved before the owner's copy and lost under it: the address this process just put
				// in is also saved by a request that reads the database once the owner is done.
				if (stores?.dedupe.ledger.announcedSince(Math.floor(delivery.nowMs / 1000))) void save?.();
				return { noWebhookResponse: true };
			}
			// The owner could not answer: handled here, as without routing, so nothing is lost.
			outcome = receiveDelivery({ ...delivery, route: undefined });
			log(outcome.log);
		}

		if (outcome.body.status === 'saved') {
			// n8n answers this one itself, after it has saved static data: the sender waits for that.
			return { webhookResponse: outcome.body };
		}
		const { item, claimedId, heldVersion } = outcome;
		if (!item) {
			// Nothing runs, so the answer can go now; n8n then saves static data before anything else.
			res.status(outcome.httpStatus).json(outcome.body);
			return { noWebhookResponse: true };
		}
		// A run: n8n answers when Acknowledge says the event is safe, and the id is recorded only
		// then. n8n 2.x drops static-data changes made here on this path, so the run itself writes
		// the store (execute()).
		const recordedByRun = claimedId !== undefined && recordsWhenRunStarts(acknowledge);
		const watchedRun = recordedByRun
			? runKeyOf(this.getWorkflow().id, node.id, claimedId)
			: undefined;
		if (watchedRun) runStarts.expect(watchedRun);
		const runKey = answersBeforeExecutionExists(this) ? watchedRun : undefined;
		answerInPlaceOfN8n(res as unknown as AnswerableResponse, (n8nStatus) =>
			settleOnAnswer({
				acknowledge,
				n8nStatus,
				claimedId,
				heldVersion,
				stores,
				routed: self !== undefined,
				firstSave: stores?.dedupe.stored === undefined,
				log,
				nowSeconds,
				save,
				runStart: runKey
					? {
							wait: async () => await runStarts.wait(runKey, RUN_START_WAIT_MS),
							forget: () => runStarts.forget(runKey),
						}
					: undefined,
				// In queue mode the run is a worker's, which gets no static data and so writes no store:
				// this process, which recorded the id at the answer, saves it.
				runElsewhere:
					watchedRun && !runKey
						? async () => !(await runStarts.wait(watchedRun, LOCAL_RUN_WAIT_MS))
						: undefined,
				forgetRun: watchedRun ? () => runStarts.forget(watchedRun) : undefined,
			}),
		);
		const json =
			claimedId === undefined || !secret.ok
				? item
				: {
						...item,
						[CLAIM_FIELD]: sealClaim(secret.key, { eventId: claimedId, version: heldVersion }),
					};
		return { workflowData: [[{ json }]] };
	}

	/**
	 * The run's first step, in the process that runs it: hands the event on, and writes the
	 * store into the run's static data, which n8n saves when the run ends. With Acknowledge
	 * "When Received" the event is recorded here, since its execution exists; otherwise only
	 * ids recorded before are carried, the answer records this one.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const input = this.getInputData();
		const items = input.map((item) => ({ ...item, json: withoutInternalFields(item.json) }));
		const sealed = input
			.map((item) => item.json[CLAIM_FIELD])
			.filter((field) => field !== undefined);
		if (sealed.length === 0 || this.getMode() === 'manual') return [items];
		// Only claims this node's webhook() tagged: a run never records what its input merely says.
		const credentials = await this.getCredentials(CREDENTIAL);
		const keys = [credentials.signingSecret, credentials.previousSigningSecret].flatMap((text) => {
			const parsed = parseSigningSecret(text);
			return parsed.ok ? [parsed.key] : [];
		});
		const claimed = sealed.flatMap((field) => openClaim(keys, field) ?? []);
		if (claimed.length < sealed.length) {
			logTo(this)([
				{
					level: 'warn',
					message: `${sealed.length - claimed.length} item(s) carried a run claim this node did not make: ignored, nothing recorded for them`,
				},
			]);
		}
		if (claimed.length === 0) return [items];

		const node = this.getNode();
		for (const { eventId } of claimed)
			runStarts.begin(runKeyOf(this.getWorkflow().id, node.id, eventId));
		const options = this.getNodeParameter('options', 0, {}) as TriggerOptions;
		const acknowledge = acknowledgeModeOf(this.getNodeParameter('acknowledge', 0, 'onReceipt'));
		const lines = await processStores.recordRun({
			staticData: this.getWorkflowStaticData('global'),
			workflowId: this.getWorkflow().id,
			nodeId: node.id,
			skipStale: options.skipStale === true,
			limits: settingsFrom(options),
			events: recordsWhenRunStarts(acknowledge) ? claimed : [],
			pause: turnsOfTheEventLoop(),
		});
		logTo(this)(lines);
		return [items];
	}
}
