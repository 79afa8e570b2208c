import type { INodeProperties, IWebhookDescription } from 'n8n-workflow';

import { OPTION_BOUNDS } from './delivery/optionBounds';
import { RESPONSE_MODE_FIELD, WEBHOOK_RESOLVERS } from './n8n/acknowledge';
import { DEFAULT_OBJECT_ID_FIELD, DEFAULT_OBJECT_VERSION_FIELD } from './protocol/objectVersion';

/** The node's one webhook: n8n's response mode follows Acknowledge (see n8n/acknowledge.ts). */
export const WEBHOOKS: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		// When n8n answers depends on Acknowledge; the node then puts its own answer in place of
		// n8n's (answerInPlaceOfN8n.ts), and 'noData' keeps workflow data out of n8n's.
		responseMode: RESPONSE_MODE_FIELD.template,
		responseData: 'noData',
		path: 'webhook',
		[WEBHOOK_RESOLVERS]: { responseMode: RESPONSE_MODE_FIELD },
	},
];

/** The parameters the editor shows, in order. */
export const PROPERTIES: INodeProperties[] = [
	{
		displayName:
			"In Pivotal, add a webhook endpoint with this node's Production URL (above), then paste the endpoint's signing secret into the credential. To try it first, click Execute step and send a test event to the Test URL. Activate the workflow to receive events.",
		name: 'setupNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Events',
		name: 'events',
		type: 'string',
		default: '*',
		required: true,
		placeholder: 'e.g. invoice.*, customer.deleted',
		description:
			'Comma-separated event types that start the workflow. * matches any run of characters: * for every event, invoice.* for all invoice events, *.deleted for every deletion. Other events are acknowledged and ignored.',
	},
	{
		displayName: 'Acknowledge',
		name: 'acknowledge',
		type: 'options',
		default: 'onReceipt',
		options: [
			{
				name: 'When Received',
				value: 'onReceipt',
				description:
					'Answer Pivotal once n8n has created the execution. Pivotal does not resend an event whose run fails: retry it from the Executions list.',
			},
			{
				name: 'When the Workflow Succeeds',
				value: 'onSuccess',
				description:
					'Answer Pivotal after the run: a failed run gets an error, so Pivotal sends the event again later. For workflows that finish within 10 seconds.',
			},
		],
		description:
			'When Pivotal is told the event arrived. It sends the event again until told, and never after.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Include Delivery Metadata',
				name: 'includeDeliveryMetadata',
				type: 'boolean',
				default: false,
				description:
					'Whether to add a _delivery field with the message ID, when Pivotal signed the delivery and when n8n received it',
			},
			{
				displayName: 'Max Stored Event IDs',
				name: 'maxStoredIds',
				type: 'number',
				default: 100000,
				typeOptions: {
					minValue: OPTION_BOUNDS.maxStoredIds.min,
					maxValue: OPTION_BOUNDS.maxStoredIds.max,
				},
				description:
					'How many processed event IDs are kept for deduplication. Keep it above the number of events Pivotal sends within Remember Event IDs for (Days). Each costs about 8 bytes of workflow data (12 within the hour it arrived in). When full, the oldest IDs are dropped first and a warning is logged.',
			},
			{
				displayName: 'Object ID Field',
				name: 'objectIdField',
				type: 'string',
				default: DEFAULT_OBJECT_ID_FIELD,
				placeholder: 'e.g. data.object.customer',
				description:
					'With Skip Out-of-Order Events: the dotted path in the event to the ID of the object it is about',
			},
			{
				displayName: 'Object Version Field',
				name: 'objectVersionField',
				type: 'string',
				default: DEFAULT_OBJECT_VERSION_FIELD,
				placeholder: 'e.g. data.object.updated_at',
				description:
					'With Skip Out-of-Order Events: the dotted path to how new the object is. An ISO 8601 date, epoch seconds or milliseconds, or a counter that only goes up.',
			},
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				default: 'event',
				options: [
					{
						name: 'Whole Event',
						value: 'event',
						description: 'The event as Pivotal sent it: ID, type, data and any other fields',
					},
					{
						name: 'Only Data Object',
						value: 'object',
						description: 'Only data.object: the current state of what the event is about',
					},
				],
				description: 'What each execution receives',
			},
			{
				displayName: 'Remember Event IDs for (Days)',
				name: 'retentionDays',
				type: 'number',
				default: 7,
				typeOptions: {
					minValue: OPTION_BOUNDS.retentionDays.min,
					maxValue: OPTION_BOUNDS.retentionDays.max,
				},
				description:
					'How long a processed event ID is remembered, so a retry of it does not start the workflow again. Pivotal retries for up to 7 days, so keep at least 7.',
			},
			{
				displayName: 'Route by Event ID',
				name: 'routeToOneProcess',
				type: 'boolean',
				default: false,
				description:
					"Whether, in queue mode with several webhook processes behind a balancer that doesn't route by svix-ID, each delivery is passed to the process that the event's ID maps to, so retries are deduplicated wherever they land. Costs one internal request for most deliveries. No effect with one n8n process.",
			},
			{
				displayName: 'Skip Out-of-Order Events',
				name: 'skipStale',
				type: 'boolean',
				default: false,
				description:
					'Whether an event about an object is skipped (answered "stale", no execution) when an event with a newer version of the same object was already accepted. For workflows that copy the object somewhere else, so a late retry cannot overwrite newer data.',
			},
			{
				displayName: 'Timestamp Tolerance (Seconds)',
				name: 'toleranceSeconds',
				type: 'number',
				default: 300,
				typeOptions: {
					minValue: OPTION_BOUNDS.toleranceSeconds.min,
					maxValue: OPTION_BOUNDS.toleranceSeconds.max,
				},
				description:
					"How far the signed timestamp may be from this server's clock, either way. Deliveries outside it are rejected so a captured request cannot be replayed; raise it only if this server's clock is off.",
			},
		],
	},
];
