import { admitDelivery } from '../../nodes/Pivotal/delivery/admission';
import {
	readConfiguration,
	type DeliverySettings,
} from '../../nodes/Pivotal/delivery/configuration';
import type { DeliveryOutcome } from '../../nodes/Pivotal/delivery/outcome';
import {
	firstReadStores,
	saveOnRequest,
	type Stores,
} from '../../nodes/Pivotal/delivery/storeSync';
import { verifyRequest } from '../../nodes/Pivotal/delivery/verification';
import type { Headers } from '../../nodes/Pivotal/protocol/signature';

/** A request as the node's webhook() has it once it has read n8n's context. */
export interface DeliveryRequest extends Stores {
	rawBody: Buffer;
	headers: Headers;
	signingSecret: unknown;
	previousSigningSecret: unknown;
	events: unknown;
	settings: DeliverySettings;
	nowMs: number;
	route?: { self: string };
}

/**
 * The node's pass through a delivery without n8n: verify once, then the save channel or the
 * admission. A store's first read, which the node makes between the two, is left to the caller
 * (receiveAfterFirstRead).
 */
export function receive(request: DeliveryRequest): DeliveryOutcome {
	const config = readConfiguration(request);
	const verified = verifyRequest(config, request.rawBody, request.headers, request.nowMs);
	if (verified.kind === 'refused') return verified.outcome;
	const log = [...verified.log];
	if (verified.kind === 'save') {
		saveOnRequest(request, Math.floor(request.nowMs / 1000), log);
		return { httpStatus: 200, body: { status: 'saved' }, log };
	}
	const outcome = admitDelivery({ ...request, event: verified.event, config });
	return { ...outcome, log: [...log, ...outcome.log] };
}

/** receive, with the stores' first read made when the signature holds, as the node does. */
export async function receiveAfterFirstRead(
	request: DeliveryRequest,
	pause: () => Promise<void> = async () => {},
): Promise<DeliveryOutcome> {
	const config = readConfiguration(request);
	if (verifyRequest(config, request.rawBody, request.headers, request.nowMs).kind !== 'refused') {
		await firstReadStores(request, pause);
	}
	return receive(request);
}
