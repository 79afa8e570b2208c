import {
	NodeOperationError,
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type IHookFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import { PivotalWebhookApi } from '../credentials/PivotalWebhookApi.credentials';
import { OPTION_BOUNDS } from '../nodes/Pivotal/delivery/optionBounds';
import { PivotalTrigger } from '../nodes/Pivotal/PivotalTrigger.node';
import codex from '../nodes/Pivotal/PivotalTrigger.node.json';
import { newSecret } from './helpers/signing';

const trigger = new PivotalTrigger();

/** The fields under Options. */
function options(): INodeProperties[] {
	const collection = trigger.description.properties.find((p) => p.name === 'options');
	return (collection?.options ?? []) as INodeProperties[];
}

function credentialTest(data: Record<string, unknown>) {
	const credential = {
		id: '1',
		name: 'Pivotal',
		type: 'pivotalWebhookApi',
		data,
	} as ICredentialsDecrypted;
	return trigger.methods.credentialTest.pivotalSigningSecretTest.call(
		{} as ICredentialTestFunctions,
		credential,
	);
}

function hooks(credentials: Record<string, unknown>, events: unknown, options: object = {}) {
	return {
		getCredentials: async () => credentials,
		getNodeParameter: (name: string) => (name === 'options' ? options : events),
		getNode: () => ({ name: 'Pivotal Trigger', id: 'node1' }),
		getWorkflow: () => ({ id: 'wf1' }),
	} as unknown as IHookFunctions;
}

describe('Pivotal Trigger description', () => {
	it('offers version 2 to new workflows and still loads workflows saved with version 1', () => {
		// n8n evaluates an expression for every request to a start node of version 1 (see the node).
		expect(trigger.description).toMatchObject({ version: [1, 2], defaultVersion: 2 });
	});

	it('follows n8n naming conventions for the node, its credential and its codex', () => {
		const { description } = trigger;
		expect(description).toMatchObject({
			name: 'pivotalTrigger',
			displayName: 'Pivotal Trigger',
			group: ['trigger'],
			inputs: [],
		});
		expect(description.webhooks).toEqual([
			expect.objectContaining({ httpMethod: 'POST', name: 'default' }),
		]);
		expect(description.credentials).toEqual([
			expect.objectContaining({ name: 'pivotalWebhookApi', required: true }),
		]);
		expect(codex.node).toBe('n8n-nodes-pivotal.pivotalTrigger');
		const credential = new PivotalWebhookApi();
		expect(credential.name).toBe('pivotalWebhookApi');
		expect(
			credential.properties.map(({ name, typeOptions }) => [name, typeOptions?.password]),
		).toEqual([
			['signingSecret', true],
			['previousSigningSecret', true],
		]);
	});

	it('keeps the parameter names other tooling relies on', () => {
		const { properties } = trigger.description;
		const pick = ({ displayName, name, type, default: value }: INodeProperties) => ({
			displayName,
			name,
			type,
			default: value,
		});
		expect(pick(properties.find((p) => p.name === 'acknowledge') as INodeProperties)).toEqual({
			displayName: 'Acknowledge',
			name: 'acknowledge',
			type: 'options',
			default: 'onReceipt',
		});
		expect(
			options()
				.filter((o) => /^(skipStale|object)/.test(o.name))
				.map(pick),
		).toEqual([
			{
				displayName: 'Object ID Field',
				name: 'objectIdField',
				type: 'string',
				default: 'data.object.id',
			},
			{
				displayName: 'Object Version Field',
				name: 'objectVersionField',
				type: 'string',
				default: 'data.object.updated_at',
			},
			{
				displayName: 'Skip Out-of-Order Events',
				name: 'skipStale',
				type: 'boolean',
				default: false,
			},
		]);
	});

	it('shows example values as "e.g. …" placeholders (n8n UX guidelines)', () => {
		const fields = [
			...trigger.description.properties,
			...options(),
			...new PivotalWebhookApi().properties,
		];
		// A collection's placeholder is its "Add option" button, not an example value.
		const examples = fields.filter((field) => field.placeholder && field.type !== 'collection');
		expect(examples.map((field) => field.name).sort()).toEqual([
			'events',
			'objectIdField',
			'objectVersionField',
			'signingSecret',
		]);
		for (const field of examples) expect(field.placeholder).toMatch(/^e\.g\. \S/);
	});

	it("is not found under n8n's own Webhook node's name", () => {
		expect(codex.alias).toEqual(['Svix', 'Standard Webhooks']);
	});
});

describe('credential test', () => {
	it('passes a well-formed secret', async () => {
		expect(await credentialTest({ signingSecret: newSecret() })).toEqual({
			status: 'OK',
			message: 'The signing secret is well-formed',
		});
	});

	it('explains a malformed secret', async () => {
		const result = await credentialTest({ signingSecret: 'whsec_abc' });
		expect(result).toEqual({ status: 'Error', message: expect.stringContaining('24 to 64 bytes') });
	});

	it('explains a malformed previous secret', async () => {
		const result = await credentialTest({
			signingSecret: newSecret(),
			previousSigningSecret: 'nope!',
		});
		expect(result).toEqual({
			status: 'Error',
			message: expect.stringMatching(/^Previous Signing Secret: .*not valid.*Clear this field/),
		});
	});
});

describe('the numeric options', () => {
	it('offer in the editor the defaults and ranges that activation and deliveries hold them to', () => {
		const options = trigger.description.properties.find((p) => p.name === 'options')?.options;
		for (const [name, { min, max, fallback }] of Object.entries(OPTION_BOUNDS)) {
			expect(options?.find((option) => option.name === name)).toMatchObject({
				default: fallback,
				typeOptions: { minValue: min, maxValue: max },
			});
		}
	});
});

describe('activation', () => {
	const { checkExists, create, delete: remove } = trigger.webhookMethods.default;

	it('always runs create, which accepts a good configuration', async () => {
		expect(await checkExists.call(hooks({}, '*'))).toBe(false);
		expect(await create.call(hooks({ signingSecret: newSecret() }, 'invoice.*'))).toBe(true);
		expect(await remove.call(hooks({}, '*'))).toBe(true);
	});

	it('refuses to activate with a malformed secret, saying why', async () => {
		const activation = create.call(hooks({ signingSecret: '' }, '*'));
		await expect(activation).rejects.toThrow(NodeOperationError);
		await expect(activation).rejects.toThrow('The signing secret is empty');
	});

	it('refuses to activate with a cap or retention that would turn dedupe off, saying why', async () => {
		const activation = create.call(
			hooks({ signingSecret: newSecret() }, '*', { maxStoredIds: 0, retentionDays: 0 }),
		);
		await expect(activation).rejects.toThrow(
			'Max Stored Event IDs must be a whole number from 1000 to 1000000, not 0; ' +
				'Remember Event IDs for (Days) must be a whole number from 1 to 90, not 0. Fix it under Options',
		);
	});

	it('refuses to activate with an empty events field, saying why', async () => {
		await expect(create.call(hooks({ signingSecret: newSecret() }, ' '))).rejects.toThrow(
			/Events is empty/,
		);
	});
});
