import { Workflow, type INode, type INodeTypes } from 'n8n-workflow';

import {
	ACKNOWLEDGE_MODES,
	acknowledgeModeOf,
	RESPONSE_MODE_FIELD,
	WEBHOOK_RESOLVERS,
	recordsWhenRunStarts,
	settle,
} from '../nodes/Pivotal/n8n/acknowledge';
import { PivotalTrigger } from '../nodes/Pivotal/PivotalTrigger.node';

const trigger = new PivotalTrigger();

/**
 * The node's parameters as n8n holds them, with the defaults its Workflow applies, and what
 * n8n 1.x makes of the description's template against them.
 */
function asN8nSees(parameters: INode['parameters']) {
	const node: INode = {
		id: 'n1',
		name: 'Pivotal Trigger',
		type: 'n8n-nodes-pivotal.pivotalTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters,
	};
	const nodeTypes = {
		getByName: () => trigger,
		getByNameAndVersion: () => trigger,
	} as unknown as INodeTypes;
	const workflow = new Workflow({ nodes: [node], connections: {}, active: true, nodeTypes });
	const own = workflow.nodes[node.name];
	return {
		parameters: own.parameters,
		evaluated: workflow.expression.getSimpleParameterValue(
			own,
			RESPONSE_MODE_FIELD.template,
			'webhook',
			{},
			undefined,
			'onReceived',
		),
	};
}

describe('Acknowledge', () => {
	it("makes n8n answer on receipt by default and after the run for 'onSuccess'", () => {
		expect(RESPONSE_MODE_FIELD.resolve(asN8nSees({ events: '*' }).parameters)).toBe('onReceived');
		expect(RESPONSE_MODE_FIELD.resolve({ acknowledge: 'onReceipt' })).toBe('onReceived');
		expect(RESPONSE_MODE_FIELD.resolve({ acknowledge: 'onSuccess' })).toBe('lastNode');
	});

	it('resolves natively to what the template evaluates to, so 1.x and 2.x agree', () => {
		for (const acknowledge of [...ACKNOWLEDGE_MODES, undefined, 'aLaterMode']) {
			const { parameters, evaluated } = asN8nSees(
				acknowledge ? { events: '*', acknowledge } : { events: '*' },
			);
			expect(RESPONSE_MODE_FIELD.resolve(parameters)).toBe(evaluated);
		}
	});

	it('puts the template and its resolver in the webhook description, under the key n8n 2.x reads', () => {
		const [webhook] = trigger.description.webhooks!;
		expect(webhook.responseMode).toBe(RESPONSE_MODE_FIELD.template);
		expect(webhook.responseData).toBe('noData');
		expect(WEBHOOK_RESOLVERS).toBe(Symbol.for('n8n.webhookDescriptionResolvers'));
		const resolvers = (webhook as unknown as Record<symbol, { responseMode?: unknown }>)[
			WEBHOOK_RESOLVERS
		];
		expect(resolvers?.responseMode).toBe(RESPONSE_MODE_FIELD);
	});

	it('offers both modes as the top-level Acknowledge parameter, When Received by default', () => {
		const parameter = trigger.description.properties.find(({ name }) => name === 'acknowledge');
		expect(parameter).toMatchObject({
			displayName: 'Acknowledge',
			type: 'options',
			default: 'onReceipt',
		});
		expect(parameter?.options?.map((option) => 'value' in option && option.value)).toEqual([
			'onReceipt',
			'onSuccess',
		]);
	});

	it('records the event once n8n answers 2xx and frees it otherwise', () => {
		expect(settle('onReceipt', 200)).toEqual({
			safe: true,
			httpStatus: 200,
			body: { status: 'accepted' },
		});
		expect(settle('onSuccess', 200)).toEqual(settle('onReceipt', 200));
		for (const n8nStatus of [500, 404, 409, 199, 300]) {
			expect(settle('onSuccess', n8nStatus)).toMatchObject({ safe: false, httpStatus: 500 });
			expect(settle('onReceipt', n8nStatus)).toMatchObject({ safe: false, httpStatus: 500 });
		}
		expect(settle('onSuccess', 500).body.status).toBe('failed');
	});

	it('reads a mode it does not know, or none, as the one that waits for the run, as the response mode does', () => {
		for (const value of [undefined, '', 'onreceipt', 42, 'onSuccess', 'aLaterMode']) {
			expect(acknowledgeModeOf(value)).toBe('onSuccess');
			expect(RESPONSE_MODE_FIELD.resolve({ acknowledge: value })).toBe('lastNode');
		}
		// A resolver input of another shape (the mode not where it was) waits too.
		expect(RESPONSE_MODE_FIELD.resolve({ parameters: { acknowledge: 'onReceipt' } })).toBe(
			'lastNode',
		);
		expect(acknowledgeModeOf('onReceipt')).toBe('onReceipt');
		expect(RESPONSE_MODE_FIELD.resolve({ acknowledge: 'onReceipt' })).toBe('onReceived');
	});

	it('records at the start of the run only when acknowledging on receipt', () => {
		expect(recordsWhenRunStarts('onReceipt')).toBe(true);
		expect(recordsWhenRunStarts('onSuccess')).toBe(false);
	});
});
