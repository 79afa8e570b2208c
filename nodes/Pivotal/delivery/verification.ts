import type { IDataObject } from 'n8n-workflow';

import { isSaveMessage } from '../protocol/saveMessage';
import { verifySignature, type Headers } from '../protocol/signature';
import type { NodeConfiguration } from './configuration';
import type { DeliveryOutcome, LogLine } from './outcome';

/** A delivery whose signature holds, with its body parsed: what admission.ts decides on. */
export interface SignedEvent {
	envelope: IDataObject;
	messageId: string;
	/** When the sender signed it, in epoch seconds. */
	signedAt: number;
	/** When this process received it, in epoch milliseconds. */
	receivedAtMs: number;
}

export type Verified =
	| { kind: 'refused'; outcome: DeliveryOutcome }
	/** The node's own save request (protocol/saveMessage.ts): no event, nothing to run. */
	| { kind: 'save'; log: LogLine[] }
	| { kind: 'event'; event: SignedEvent; log: LogLine[] };

const REJECTED: DeliveryOutcome['body'] = {
	status: 'rejected',
	message: 'Webhook signature verification failed',
};

export function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The one check of a request's signature, over its raw bytes, with the current and previous
 * secrets; then what the signed body is: a save request, or an event envelope. Nothing is read
 * from or written to a store before this has passed.
 */
export function verifyRequest(
	config: Pick<NodeConfiguration, 'keys' | 'problems' | 'settings'>,
	rawBody: Buffer,
	headers: Headers,
	nowMs: number,
): Verified {
	const log = [...config.problems];
	const verification = verifySignature({
		rawBody,
		headers,
		keys: config.keys,
		nowSeconds: Math.floor(nowMs / 1000),
		toleranceSeconds: config.settings.toleranceSeconds,
	});
	if (!verification.ok) {
		const which = verification.messageId ? ` ${verification.messageId}` : '';
		log.push({ level: 'warn', message: `rejected delivery${which}: ${verification.reason}` });
		return { kind: 'refused', outcome: { httpStatus: 401, body: REJECTED, log } };
	}
	if (isSaveMessage(rawBody)) return { kind: 'save', log };

	const { messageId, timestamp } = verification;
	let envelope: unknown;
	try {
		envelope = JSON.parse(rawBody.toString('utf8'));
	} catch {
		envelope = undefined;
	}
	if (!isObject(envelope)) {
		log.push({
			level: 'warn',
			message: `delivery ${messageId} is signed but its body is not a JSON object`,
		});
		const body = { status: 'invalid' as const, message: 'Body must be a JSON object' };
		return { kind: 'refused', outcome: { httpStatus: 400, body, log } };
	}
	return {
		kind: 'event',
		event: { envelope, messageId, signedAt: timestamp, receivedAtMs: nowMs },
		log,
	};
}
