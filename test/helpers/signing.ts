import { randomBytes } from 'node:crypto';
import { Webhook } from 'svix';

/** A fresh Svix-style secret for each test: secrets are never written into the tests. */
export function newSecret(bytes = 32): string {
	return `whsec_${randomBytes(bytes).toString('base64')}`;
}

export interface SignedRequest {
	body: Buffer;
	headers: Record<string, string>;
}

export interface SignOptions {
	secret: string;
	messageId?: string;
	timestampSeconds?: number;
	/** `svix` (default) or Standard Webhooks' `webhook` header names. */
	headerSet?: 'svix' | 'webhook';
}

/** Signs a body with the real svix library, as Pivotal does. */
export function signDelivery(body: string | Buffer, options: SignOptions): SignedRequest {
	const messageId = options.messageId ?? `msg_${randomBytes(8).toString('hex')}`;
	const timestampSeconds = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
	const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
	const signature = new Webhook(options.secret).sign(
		messageId,
		new Date(timestampSeconds * 1000),
		bytes.toString('utf8'),
	);
	const prefix = options.headerSet ?? 'svix';
	return {
		body: bytes,
		headers: {
			[`${prefix}-id`]: messageId,
			[`${prefix}-timestamp`]: String(timestampSeconds),
			[`${prefix}-signature`]: signature,
		},
	};
}

export function keyOf(secret: string): Buffer {
	return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

export function sampleEvent(overrides: Record<string, unknown> = {}) {
	return {
		id: `evt_${randomBytes(6).toString('hex')}`,
		type: 'invoice.paid',
		created_at: '2026-11-26T12:00:00Z',
		data: { object: { id: 'inv_1', status: 'paid', amount: 4200, currency: 'eur' } },
		...overrides,
	};
}
