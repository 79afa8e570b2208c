import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class PivotalWebhookApi implements ICredentialType {
	name = 'pivotalWebhookApi';

	displayName = 'Pivotal Webhook API';

	icon = {
		light: 'file:../nodes/Pivotal/pivotal.svg',
		dark: 'file:../nodes/Pivotal/pivotal.dark.svg',
	} as const;

	documentationUrl = 'https://github.com/n8n-nodes-pivotal/n8n-nodes-pivotal#set-up';

	properties: INodeProperties[] = [
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: 'e.g. whsec_...',
			description:
				'Copy it from your webhook endpoint in Pivotal, under Webhooks. It starts with whsec_.',
		},
		{
			displayName: 'Previous Signing Secret',
			name: 'previousSigningSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Only while rotating the secret: paste the old secret here and the new one above. Pivotal keeps signing with the old secret for 24 hours after a rotation; clear this field after that.',
		},
	];
}
