import type { IDataObject } from 'n8n-workflow';

import type { ClaimResult, DedupeLedger, DedupeLimits, StoredDedupeState } from './dedupeStore';
import { ownerOf, PEER_LIVENESS_SECONDS } from './eventOwner';
import { compileEventTypeFilter } from './eventTypeFilter';
import type { PivotalDeliveryMetadata } from './PivotalEvent';
import { verifySignature, type Headers } from './signature';
import { parseSigningSecret } from './signingSecret';

export interface DeliverySettings extends DedupeLimits {
	toleranceSeconds: number;
	/** How long an accepted delivery holds its event id while its run is not yet safe. */
	claimHoldSeconds: number;
	output: 'event' | 'object';
	includeDeliveryMetadata: boolean;
}

export interface DedupeAccess {
	ledger: DedupeLedger;
	/** What this request's copy of the workflow's static data holds for the node. */
	stored: unknown;
	save(state: StoredDedupeState): void;
}

export interface DeliveryRequest {
	rawBody: Buffer;
	headers: Headers;
	signingSecret: unknown;
	previousSigningSecret: unknown;
	events: unknown;
	settings: DeliverySettings;
	nowMs: number;
	/** Absent on test-URL runs: n8n throws their static data away. */
	dedupe?: DedupeAccess;
	/**
	 * Present when each event is to be handled by one webhook process of several: this
	 * process's address. Absent for a delivery another process already passed on.
	 */
	route?: { self: string };
	/** A save request this node sent itself (saveRequest.ts): verified, then only saved. */
	saveOnly?: boolean;
}

export type LogLine = { level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export const DELIVERY_STATUSES = [
	'accepted',
	'duplicate',
	'ignored',
	'rejected',
	'invalid',
	'misconfigured',
	'busy',
	'in-progress',
	'failed',
	'saved',
] as const;

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryOutcome {
	httpStatus: number;
	body: { status: DeliveryStatus; message?: string };
	/** The workflow's input; present only when the delivery starts an execution. */
	item?: IDataObject;
	/**
	 * With `item`, when the delivery is deduplicated: the event id it claimed, to be settled once
	 * the run is safe or has failed (see acknowledge.ts).
	 */
	claimedId?: string;
	/**
	 * The address of the process that handles this event; the delivery was verified and nothing
	 * was recorded. Pass it on there, or handle it here (without `route`) when that fails.
	 */
	forwardTo?: string;
	log: LogLine[];
}

export const MISCONFIGURED: DeliveryOutcome['body'] = {
	status: 'misconfigured',
	message: 'The trigger is misconfigured; see the n8n log',
};

const REJECTED: DeliveryOutcome['body'] = {
	status: 'rejected',
	message: 'Webhook signature verification failed',
};

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function signingKeys(request: DeliveryRequest, log: LogLine[]): Buffer[] {
	const keys: Buffer[] = [];
	const current = parseSigningSecret(request.signingSecret);
	if (current.ok) keys.push(current.key);
	else log.push({ level: 'error', message: `Signing Secret: ${current.problem}` });
	const hasPrevious =
		typeof request.previousSigningSecret === 'string' &&
		request.previousSigningSecret.trim() !== '';
	if (hasPrevious) {
		const previous = parseSigningSecret(request.previousSigningSecret);
		if (previous.ok) keys.push(previous.key);
		else log.push({ level: 'error', message: `Previous Signing Secret: ${previous.problem}` });
	}
	return keys;
}

function outputItem(
	envelope: IDataObject,
	settings: DeliverySettings,
	metadata: PivotalDeliveryMetadata,
	log: LogLine[],
): IDataObject {
	let json = envelope;
	if (settings.output === 'object') {
		const object = isObject(envelope.data) ? envelope.data.object : undefined;
		if (isObject(object)) json = object;
		else log.push({ level: 'warn', message: 'event has no data.object: emitting the whole event' });
	}
	return settings.includeDeliveryMetadata ? { ...json, _delivery: { ...metadata } } : json;
}

/**
 * Merges what other processes saved and, when the stored state lacks ids this process recorded
 * (another process's save overwrote them), saves the full state again. Every signed delivery
 * does it, ignored and duplicate ones too, so lost writes come back at the first chance.
 */
export function syncStore(dedupe: DedupeAccess, nowSeconds: number, log: LogLine[]) {
	const { problem, behind } = dedupe.ledger.sync(dedupe.stored, nowSeconds);
	if (problem) log.push({ level: 'warn', message: `${problem}; it will be rewritten` });
	if (behind) dedupe.save(dedupe.ledger.persistent());
}

/** Claims the id for this delivery (see DedupeLedger.claim). Logs what the store had to drop. */
function claimOnce(
	dedupe: DedupeAccess,
	eventId: string,
	nowSeconds: number,
	settings: DeliverySettings,
	log: LogLine[],
): ClaimResult {
	const { ledger } = dedupe;
	// Expired ids go before the check, so an id older than the retention counts as new again.
	const beforeClaim = ledger.prune(nowSeconds, settings);
	const claim = ledger.claim(eventId, nowSeconds, settings.claimHoldSeconds);
	// Room for the id this delivery records once its run is safe, so the store stays at its cap.
	const room =
		claim === 'new' && ledger.size >= settings.maxIds
			? ledger.prune(nowSeconds, { ...settings, maxIds: settings.maxIds - 1 })
			: undefined;
	const evicted = beforeClaim.evicted + (room?.evicted ?? 0);
	if (evicted > 0) {
		if (ledger.evictionWarningDue(nowSeconds))
			log.push({
				level: 'warn',
				message: `dedupe store is at its cap of ${settings.maxIds} ids: dropping the oldest before their retention ends (${evicted} now); raise Max Stored Event IDs`,
			});
	} else if (beforeClaim.nearCap || room?.nearCap) {
		log.push({
			level: 'warn',
			message: `dedupe store holds ${ledger.size} of at most ${settings.maxIds} ids: at the cap the oldest ids are dropped before their retention ends`,
		});
	}
	return claim;
}

const IN_PROGRESS: DeliveryOutcome['body'] = {
	status: 'in-progress',
	message: 'Another delivery of this event is being processed; retry later',
};

/**
 * Decides what one webhook delivery gets: verify the signature over the raw bytes, parse,
 * filter by event type, dedupe, and build the workflow item. Pure but for the ledger it is given.
 */
export function receiveDelivery(request: DeliveryRequest): DeliveryOutcome {
	const log: LogLine[] = [];
	const { settings } = request;
	const nowSeconds = Math.floor(request.nowMs / 1000);
	const verification = verifySignature({
		rawBody: request.rawBody,
		headers: request.headers,
		keys: signingKeys(request, log),
		nowSeconds,
		toleranceSeconds: settings.toleranceSeconds,
	});
	if (!verification.ok) {
		const which = verification.messageId ? ` ${verification.messageId}` : '';
		log.push({ level: 'warn', message: `rejected delivery${which}: ${verification.reason}` });
		return { httpStatus: 401, body: REJECTED, log };
	}
	const { messageId } = verification;
	if (request.saveOnly) {
		if (request.dedupe) {
			syncStore(request.dedupe, nowSeconds, log);
			request.dedupe.save(request.dedupe.ledger.persistent());
		}
		return { httpStatus: 200, body: { status: 'saved' }, log };
	}

	let envelope: unknown;
	try {
		envelope = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		envelope = undefined;
	}
	if (!isObject(envelope)) {
		log.push({
			level: 'warn',
			message: `delivery ${messageId} is signed but its body is not a JSON object`,
		});
		return {
			httpStatus: 400,
			body: { status: 'invalid', message: 'Body must be a JSON object' },
			log,
		};
	}

	const filter = compileEventTypeFilter(request.events);
	if (!filter.ok) {
		log.push({ level: 'error', message: filter.problem });
		return { httpStatus: 500, body: MISCONFIGURED, log };
	}
	if (request.dedupe) syncStore(request.dedupe, nowSeconds, log);
	const eventType = typeof envelope.type === 'string' ? envelope.type : '';
	if (!filter.matches(eventType)) {
		log.push({
			level: 'debug',
			message: `ignored delivery ${messageId}: event type "${eventType}" is not selected`,
		});
		return { httpStatus: 200, body: { status: 'ignored' }, log };
	}

	const envelopeId = envelope.id;
	const eventId =
		typeof envelopeId === 'string' && envelopeId !== ''
			? envelopeId
			: typeof envelopeId === 'number'
				? String(envelopeId)
				: messageId;
	if (request.dedupe && request.route) {
		const { self } = request.route;
		const peers = request.dedupe.ledger.peers(nowSeconds, PEER_LIVENESS_SECONDS);
		const owner = ownerOf(eventId, self, peers);
		if (owner !== self) {
			log.push({
				level: 'debug',
				message: `event ${eventId} is handled by ${owner}: passing it on`,
			});
			return { httpStatus: 200, body: { status: 'accepted' }, forwardTo: owner, log };
		}
	}
	const claim = request.dedupe && claimOnce(request.dedupe, eventId, nowSeconds, settings, log);
	if (claim === 'duplicate') {
		log.push({ level: 'debug', message: `duplicate delivery of event ${eventId} acknowledged` });
		return { httpStatus: 200, body: { status: 'duplicate' }, log };
	}
	if (claim === 'in-progress') {
		log.push({
			level: 'debug',
			message: `event ${eventId} is still being processed: asking the sender to retry`,
		});
		return { httpStatus: 409, body: IN_PROGRESS, log };
	}

	const metadata: PivotalDeliveryMetadata = {
		messageId,
		signedAt: new Date(verification.timestamp * 1000).toISOString(),
		receivedAt: new Date(request.nowMs).toISOString(),
	};
	return {
		httpStatus: 200,
		body: { status: 'accepted' },
		item: outputItem(envelope, settings, metadata, log),
		claimedId: claim === 'new' ? eventId : undefined,
		log,
	};
}
