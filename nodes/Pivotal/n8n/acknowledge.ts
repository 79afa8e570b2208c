import type { WEBHOOK_RESOLVERS as RESOLVERS_KEY } from 'n8n-workflow';

import type { DeliveryOutcome } from '../delivery/outcome';

/**
 * Where n8n 2.x looks for a description's native resolvers. Spelled out rather than imported:
 * n8n 1.x ships an n8n-workflow without it, and the symbol registry makes both the same key.
 */
export const WEBHOOK_RESOLVERS = Symbol.for(
	'n8n.webhookDescriptionResolvers',
) as typeof RESOLVERS_KEY;

/**
 * When Pivotal gets its 2xx, after which it never sends the event again:
 * - onReceipt: once n8n has created the execution (n8n answers after `run()` has registered it);
 * - onSuccess: once the run has finished without error (n8n answers after the last node).
 * Until then the event's id is claimed by this process (copies get 409), and it is recorded as
 * processed only when the answer is a 2xx, so a stop or a failed run leaves it free for the retry.
 */
export type AcknowledgeMode = 'onReceipt' | 'onSuccess';

/** @internal Exported for the tests. */
export const ACKNOWLEDGE_MODES: readonly AcknowledgeMode[] = ['onReceipt', 'onSuccess'];

export function isAcknowledgeMode(value: unknown): value is AcknowledgeMode {
	return ACKNOWLEDGE_MODES.includes(value as AcknowledgeMode);
}

/**
 * The parameter's mode. A value this release does not know (a later release's, or what a
 * changed n8n hands over) is taken for the mode that waits for the run, as RESPONSE_MODE_FIELD
 * reads it too: its answers come later, but a failed run is never acknowledged.
 */
export function acknowledgeModeOf(value: unknown): AcknowledgeMode {
	return value === 'onReceipt' ? 'onReceipt' : 'onSuccess';
}

/**
 * How long a claim holds when no answer settles it. An answer always does while the process
 * lives (n8n ends the response even after the sender left), so this only bounds a run that
 * never ends: a copy that arrives later than this runs again rather than being refused forever.
 */
export const CLAIM_HOLD_SECONDS = 3600;

type ResponseMode = 'onReceived' | 'lastNode';

/**
 * n8n's response mode as a description field: the template, which n8n 1.x evaluates per request,
 * and a native resolver, which n8n 2.x calls instead for static parameters, so the webhook
 * phase evaluates no expression there. A test holds the two to the same answers. Both are given
 * the node's parameters with their defaults applied; anything but When Received, a missing
 * value included, makes n8n wait for the run: answering on receipt is the mode that can lose a
 * failed run's event, so it is given only when asked for by name.
 */
export const RESPONSE_MODE_FIELD = {
	template: '={{$parameter["acknowledge"] === "onReceipt" ? "onReceived" : "lastNode"}}',
	resolve: (parameters: Record<string, unknown>): ResponseMode =>
		parameters.acknowledge === 'onReceipt' ? 'onReceived' : 'lastNode',
};

/** Whether the run records its event as soon as it starts (the execution exists by then). */
export function recordsWhenRunStarts(mode: AcknowledgeMode): boolean {
	return mode === 'onReceipt';
}

const FAILED: Record<AcknowledgeMode, DeliveryOutcome['body']> = {
	onReceipt: { status: 'failed', message: 'n8n could not start the workflow; retry later' },
	onSuccess: { status: 'failed', message: 'The workflow run failed; retry later' },
};

export interface Settlement extends Pick<DeliveryOutcome, 'httpStatus' | 'body'> {
	/** The event is safe: record its id. Otherwise free it, so the sender's retry runs it. */
	safe: boolean;
}

/**
 * What the sender gets for an accepted delivery once n8n answers it, from the status n8n chose:
 * 2xx once the execution exists (onReceipt) or the run succeeded (onSuccess), 500 when it could
 * not start or the run failed. n8n's own body is never passed on: it may carry workflow data.
 */
export function settle(mode: AcknowledgeMode, n8nStatus: number): Settlement {
	const safe = n8nStatus >= 200 && n8nStatus < 300;
	return safe
		? { safe, httpStatus: 200, body: { status: 'accepted' } }
		: { safe, httpStatus: 500, body: FAILED[mode] };
}
