import type { IDataObject } from 'n8n-workflow';

import type { ClaimResult, DedupeLedger, DedupeLimits } from '../stores/dedupeLedger';
import type { StoredEntryLog, SyncResult } from '../stores/entryLog';
import { PEER_LIVENESS_SECONDS } from '../stores/peers';
import { ownerOf } from './eventOwner';
import { compileEventTypeFilter } from '../protocol/eventTypeFilter';
import { objectVersionOf } from '../protocol/objectVersion';
import { withoutInternalFields } from './runClaim';
import { isSaveMessage } from '../protocol/saveMessage';
import type { PivotalDeliveryMetadata } from '../protocol/PivotalEvent';
import { verifySignature, type Headers } from '../protocol/signature';
import { parseSigningSecret } from '../protocol/signingSecret';
import { VersionLedger } from '../stores/versionLedger';

export interface DeliverySettings extends DedupeLimits {
	toleranceSeconds: number;
	/** How long an accepted delivery holds its event id while its run is not yet safe. */
	claimHoldSeconds: number;
	output: 'event' | 'object';
	includeDeliveryMetadata: boolean;
	/** Where an event names its object and that object's version (Skip Out-of-Order Events). */
	ordering?: { objectIdField: string; objectVersionField: string };
}

interface Ledger {
	sync(stored: unknown, nowSeconds: number): SyncResult;
	persistent(): StoredEntryLog;
	/** A problem with stored state that stays until someone fixes it: said at most once an hour. */
	storedProblemDue(nowSeconds: number): boolean;
}

export interface StoreAccess<L extends Ledger> {
	ledger: L;
	/** What this request's copy of the workflow's static data holds for the node. */
	stored: unknown;
	/**
	 * Puts the ledger's state into this copy of static data, for n8n's next save; does nothing
	 * where that would replace stored state unread (see nodeStores.ts).
	 */
	save(state: StoredEntryLog): void;
	/** Keeps what was stored beside the store, before a save replaces what could not be read. */
	keepAside(): void;
}

export type DedupeAccess = StoreAccess<DedupeLedger>;
export type VersionAccess = StoreAccess<VersionLedger>;

export interface DeliveryRequest extends Stores {
	rawBody: Buffer;
	headers: Headers;
	signingSecret: unknown;
	previousSigningSecret: unknown;
	events: unknown;
	settings: DeliverySettings;
	nowMs: number;
	/**
	 * Present when each event is to be handled by one webhook process of several: this
	 * process's address. Absent for a delivery another process already passed on.
	 */
	route?: { self: string };
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
	'stale',
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
	/** With `claimedId`, when the event is ordered: its object's version, settled with the id. */
	heldVersion?: string;
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

const OBJECT_IN_PROGRESS: DeliveryOutcome['body'] = {
	status: 'in-progress',
	message: 'Another event about the same object is being processed; retry later',
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
	const item = withoutInternalFields(json);
	return settings.includeDeliveryMetadata ? { ...item, _delivery: { ...metadata } } : item;
}

/**
 * Merges what other processes saved and, when the stored state lacks entries this process
 * recorded (another process's save overwrote them), saves the full state again. Every signed
 * delivery does it, ignored and duplicate ones too, so lost writes come back at the first chance.
 */
export function syncStore(store: StoreAccess<Ledger>, nowSeconds: number, log: LogLine[]) {
	const { problem, behind, newer } = store.ledger.sync(store.stored, nowSeconds);
	if (newer) {
		// Written by a newer release of the package (an upgrade under way, or a downgrade): it is
		// left in place for that release, and this process dedupes from memory meanwhile.
		if (store.ledger.storedProblemDue(nowSeconds)) {
			log.push({
				level: 'error',
				message: `${problem}: it is left as it is, and event ids are kept in this process's memory only (lost at a restart). Run the same release of n8n-nodes-pivotal on every n8n process (said at most once an hour)`,
			});
		}
		return;
	}
	if (problem) {
		log.push({
			level: 'warn',
			message: `${problem}: what could be read is kept, and the stored state as it was is kept beside it (key ending in .unreadable)`,
		});
		store.keepAside();
	}
	if (behind) store.save(store.ledger.persistent());
}

export interface Stores {
	/** Absent on test-URL runs: n8n throws their static data away. */
	dedupe?: DedupeAccess;
	/** With `dedupe`, when Skip Out-of-Order Events is on: the objects' versions. */
	versions?: VersionAccess;
}

/** A large stored state's first read, for each of the node's stores (see EntryLog.firstRead). */
export async function firstReadStores(stores: Stores, pause: () => Promise<void>) {
	for (const store of [stores.dedupe, stores.versions]) {
		if (store) await store.ledger.firstRead(store.stored, pause);
	}
}

/**
 * firstReadStores for a delivery's stores once its signature holds, so a forged or unsigned
 * request never costs a read of a large store. Checked only while a read is pending.
 */
export async function firstReadWhenSigned(request: DeliveryRequest, pause: () => Promise<void>) {
	const pending = [request.dedupe, request.versions].some(
		(store) => store?.ledger.firstReadPending,
	);
	if (pending && verifyDelivery(request, []).ok) await firstReadStores(request, pause);
}

/** syncStore for each of the node's stores. */
export function syncStores(stores: Stores, nowSeconds: number, log: LogLine[]) {
	for (const store of [stores.dedupe, stores.versions]) {
		if (store) syncStore(store, nowSeconds, log);
	}
}

/** Puts each store's current state into static data, for n8n's next save. */
export function saveStores(stores: Stores) {
	for (const store of [stores.dedupe, stores.versions]) store?.save(store.ledger.persistent());
}

interface Ordering {
	/** What a stale event, or one about an object another event is under way for, gets. */
	answer?: Pick<DeliveryOutcome, 'httpStatus' | 'body'>;
	/** Marks the event's version as under way; returns the entry to settle. */
	hold?: () => string;
}

/**
 * Skip Out-of-Order Events: an event older than its object's accepted version is stale. While
 * another event about the object is under way, it waits (409): it is then judged against that
 * event's version, so nothing is skipped for a run that might yet fail, and with Acknowledge
 * "When the Workflow Succeeds" runs about one object never overlap. Events that cannot be
 * ordered run as usual.
 */
function orderAgainstVersions(
	request: DeliveryRequest,
	envelope: IDataObject,
	eventId: string,
	nowSeconds: number,
	log: LogLine[],
): Ordering {
	const { versions, settings } = request;
	if (!versions || !settings.ordering) return {};
	const found = objectVersionOf(envelope, settings.ordering);
	const { ledger } = versions;
	if (!found.ok) {
		if (ledger.unorderedWarningDue(nowSeconds)) {
			log.push({
				level: 'warn',
				message: `event ${eventId} cannot be checked for order, so it runs as usual: ${found.problem} (said at most once an hour)`,
			});
		}
		return {};
	}
	const entry = VersionLedger.entryOf(found.objectId, found.token);
	ledger.prune(nowSeconds, settings);
	const order = ledger.order(entry, nowSeconds);
	if (order === 'stale') {
		log.push({
			level: 'debug',
			message: `stale event ${eventId} skipped: object ${found.objectId} has a newer version`,
		});
		return { answer: { httpStatus: 200, body: { status: 'stale' } } };
	}
	if (order === 'busy') {
		log.push({
			level: 'debug',
			message: `another event about object ${found.objectId} is still being processed: asking the sender to retry event ${eventId}`,
		});
		return { answer: { httpStatus: 409, body: OBJECT_IN_PROGRESS } };
	}
	return {
		hold: () => {
			ledger.hold(entry, nowSeconds, settings.claimHoldSeconds);
			return entry;
		},
	};
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

/** The delivery's signature over its raw bytes, checked with the current and previous secrets. */
function verifyDelivery(request: DeliveryRequest, log: LogLine[]) {
	return verifySignature({
		rawBody: request.rawBody,
		headers: request.headers,
		keys: signingKeys(request, log),
		nowSeconds: Math.floor(request.nowMs / 1000),
		toleranceSeconds: request.settings.toleranceSeconds,
	});
}

/**
 * Decides what one webhook delivery gets: verify the signature over the raw bytes, parse,
 * filter by event type, dedupe, and build the workflow item. Pure but for the ledger it is given.
 */
export function receiveDelivery(request: DeliveryRequest): DeliveryOutcome {
	const log: LogLine[] = [];
	const { settings } = request;
	const nowSeconds = Math.floor(request.nowMs / 1000);
	const verification = verifyDelivery(request, log);
	if (!verification.ok) {
		const which = verification.messageId ? ` ${verification.messageId}` : '';
		log.push({ level: 'warn', message: `rejected delivery${which}: ${verification.reason}` });
		return { httpStatus: 401, body: REJECTED, log };
	}
	const { messageId } = verification;
	if (isSaveMessage(request.rawBody)) {
		syncStores(request, nowSeconds, log);
		saveStores(request);
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
	syncStores(request, nowSeconds, log);
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
	const ordering = orderAgainstVersions(request, envelope, eventId, nowSeconds, log);
	if (ordering.answer) return { ...ordering.answer, log };
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
	// In the same synchronous step as the order check, so parallel deliveries see each other.
	const heldVersion = claim === 'new' ? ordering.hold?.() : undefined;

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
		heldVersion,
		log,
	};
}
