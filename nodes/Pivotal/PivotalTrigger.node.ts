import {
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type IExecuteFunctions,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { admitDelivery } from './delivery/admission';
import { settingsFrom, signingKeysOf, type TriggerOptions } from './delivery/configuration';
import { addressOf, FORWARDED_HEADER } from './delivery/eventOwner';
import { optionProblems } from './delivery/optionBounds';
import { MISCONFIGURED, type DeliveryOutcome, type LogLine } from './delivery/outcome';
import { CLAIM_FIELD, openClaim, withoutInternalFields } from './delivery/runClaim';
import { firstReadStores, saveOnRequest } from './delivery/storeSync';
import { verifyRequest } from './delivery/verification';
import { PROPERTIES, WEBHOOKS } from './description';
import { acknowledgeModeOf, CLAIM_HOLD_SECONDS, recordsWhenRunStarts } from './n8n/acknowledge';
import { startRun } from './n8n/acceptedRun';
import { CREDENTIAL, logTo, rawBodyOf, readEdge, type NodeEdge } from './n8n/context';
import { passOn } from './n8n/passOn';
import { nowSeconds, processStores, runKeyOf, runStarts, turnsOfTheEventLoop } from './n8n/process';
import { saveSoon, sendSaveRequest } from './n8n/saveRequest';
import { compileEventTypeFilter } from './protocol/eventTypeFilter';
import { parseSigningSecret } from './protocol/signingSecret';

export type { PivotalDeliveryMetadata, PivotalEvent } from './protocol/PivotalEvent';

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

	/**
	 * One pass through a delivery: read the configuration, verify the signature once, then either
	 * save (the node's own save request) or admit the event and answer or start its run.
	 */
	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const node = this.getNode();
		const res = this.getResponseObject();
		const log = logTo(this);
		const answer = ({ httpStatus, body }: Pick<DeliveryOutcome, 'httpStatus' | 'body'>) => {
			// Nothing runs, so the answer can go now; n8n then saves static data before anything else.
			res.status(httpStatus).json(body);
			return { noWebhookResponse: true };
		};

		let edge: NodeEdge;
		try {
			edge = await readEdge(this, log);
		} catch (error) {
			// Answering 500 makes Pivotal retry, so no event is lost while the node is fixed.
			const message = `cannot read the node's configuration: ${(error as Error).message}`;
			log([{ level: 'error', message }]);
			return answer({ httpStatus: 500, body: MISCONFIGURED });
		}
		const req = this.getRequestObject();
		const rawBody = await rawBodyOf(req, log);
		if (rawBody === undefined) {
			// The sender went away mid-body: nothing to verify, and nothing to run or record.
			return answer({
				httpStatus: 400,
				body: { status: 'invalid', message: 'Body could not be read' },
			});
		}
		const headers = this.getHeaderData();
		const nowMs = Date.now();
		const verified = verifyRequest(edge.config, rawBody, headers, nowMs);
		if (verified.kind === 'refused') {
			log(verified.outcome.log);
			return answer(verified.outcome);
		}
		log(verified.log);

		const { options, config } = edge;
		const stores =
			this.getMode() === 'manual'
				? undefined // a test-URL run: n8n throws its static data away
				: processStores.storesIn(
						this.getWorkflowStaticData('global'),
						this.getWorkflow().id,
						node.id,
						options.skipStale === true,
						nowSeconds(),
					);
		// Only now, with the signature checked: a forged request never costs a large store's read.
		if (stores) await firstReadStores(stores, turnsOfTheEventLoop());
		if (verified.kind === 'save') {
			const lines: LogLine[] = [];
			if (stores) saveOnRequest(stores, Math.floor(nowMs / 1000), lines);
			log(lines);
			// n8n answers this one itself, after it has saved static data: the sender waits for that.
			return { webhookResponse: { status: 'saved' } };
		}

		// Read now: once the sender has gone, the socket no longer knows its local end.
		const here = addressOf(req.socket);
		const self = options.routeToOneProcess && stores ? here : undefined;
		if (self) stores?.dedupe.ledger.locatedAt(self);
		const saveKey = config.current;
		const save =
			here && saveKey
				? () =>
						saveSoon(`${this.getWorkflow().id}:${node.id}`, () =>
							sendSaveRequest(this, saveKey, `${here}${req.originalUrl}`, log),
						)
				: undefined;
		const admission = {
			...stores,
			event: verified.event,
			config,
			route: self && headers[FORWARDED_HEADER] === undefined ? { self } : undefined,
		};
		let outcome = admitDelivery(admission);
		log(outcome.log);
		if (outcome.forwardTo && self) {
			const forwarded = { rawBody, headers, from: self };
			const owners = await passOn(this, outcome.forwardTo, forwarded, req.originalUrl, log);
			if (owners) {
				// This request's copy of static data, loaded before the owner wrote the event, may be
				// saved before the owner's copy and lost under it: the address this process just put
				// in is also saved by a request that reads the database once the owner is done.
				if (stores?.dedupe.ledger.announcedSince(Math.floor(nowMs / 1000))) void save?.();
				return answer(owners);
			}
			// The owner could not answer: admitted here, as without routing, so nothing is lost.
			outcome = admitDelivery({ ...admission, route: undefined });
			log(outcome.log);
		}
		const { item } = outcome;
		if (!item) return answer(outcome);
		const json = startRun(this, {
			outcome: { ...outcome, item },
			acknowledge: edge.acknowledge,
			stores,
			routed: self !== undefined,
			log,
			save,
			sealKey: saveKey,
		});
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
		const { keys } = signingKeysOf(credentials.signingSecret, credentials.previousSigningSecret);
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
			limits: settingsFrom(options, CLAIM_HOLD_SECONDS),
			events: recordsWhenRunStarts(acknowledge) ? claimed : [],
			pause: turnsOfTheEventLoop(),
		});
		logTo(this)(lines);
		return [items];
	}
}
