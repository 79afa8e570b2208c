import type { IDataObject } from 'n8n-workflow';

import type { PivotalDeliveryMetadata } from '../protocol/PivotalEvent';
import { objectVersionOf } from '../protocol/objectVersion';
import type { ClaimResult } from '../stores/dedupeLedger';
import { PEER_LIVENESS_SECONDS } from '../stores/peers';
import { VersionLedger } from '../stores/versionLedger';
import type { DeliverySettings, NodeConfiguration } from './configuration';
import { ownerOf } from './eventOwner';
import { MISCONFIGURED, type Answer, type DeliveryOutcome, type LogLine } from './outcome';
import { withoutInternalFields } from './runClaim';
import { syncStores, type DedupeAccess, type Stores } from './storeSync';
import { isObject, type SignedEvent } from './verification';

/** A verified event, and what deciding on it needs. */
export interface Admission extends Stores {
	event: SignedEvent;
	config: Pick<NodeConfiguration, 'filter' | 'settings'>;
	/**
	 * Present when each event is to be handled by one webhook process of several: this
	 * process's address. Absent for a delivery another process passed on, and when passing on
	 * failed.
	 */
	route?: { self: string };
}

const OBJECT_IN_PROGRESS: DeliveryOutcome['body'] = {
	status: 'in-progress',
	message: 'Another event about the same object is being processed; retry later',
};

const IN_PROGRESS: DeliveryOutcome['body'] = {
	status: 'in-progress',
	message: 'Another delivery of this event is being processed; retry later',
};

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

interface Ordering {
	/** What a stale event, or one about an object another event is under way for, gets. */
	answer?: Answer;
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
	admission: Admission,
	eventId: string,
	nowSeconds: number,
	log: LogLine[],
): Ordering {
	const { versions } = admission;
	const { settings } = admission.config;
	if (!versions || !settings.ordering) return {};
	const found = objectVersionOf(admission.event.envelope, settings.ordering);
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

/** The envelope's id, else the message id: retries of one event share both. */
function eventIdOf({ envelope, messageId }: SignedEvent): string {
	const id = envelope.id;
	if (typeof id === 'string' && id !== '') return id;
	return typeof id === 'number' ? String(id) : messageId;
}

/**
 * Decides what a verified event gets: filter by event type, pick the process that handles it
 * (Route by Event ID), order it against its object's version, claim its id, build the workflow
 * item. Synchronous from the stores' sync to the claim, so parallel deliveries see each other's
 * claims. Pure but for the ledgers it is given; a failed forward admits again, without a route.
 */
export function admitDelivery(admission: Admission): DeliveryOutcome {
	const log: LogLine[] = [];
	const { event, config } = admission;
	const { settings, filter } = config;
	const nowSeconds = Math.floor(event.receivedAtMs / 1000);
	if (!filter.ok) {
		log.push({ level: 'error', message: filter.problem });
		return { httpStatus: 500, body: MISCONFIGURED, log };
	}
	syncStores(admission, nowSeconds, log);
	const eventType = typeof event.envelope.type === 'string' ? event.envelope.type : '';
	if (!filter.matches(eventType)) {
		log.push({
			level: 'debug',
			message: `ignored delivery ${event.messageId}: event type "${eventType}" is not selected`,
		});
		return { httpStatus: 200, body: { status: 'ignored' }, log };
	}

	const eventId = eventIdOf(event);
	if (admission.dedupe && admission.route) {
		const { self } = admission.route;
		const peers = admission.dedupe.ledger.peers(nowSeconds, PEER_LIVENESS_SECONDS);
		const owner = ownerOf(eventId, self, peers);
		if (owner !== self) {
			log.push({
				level: 'debug',
				message: `event ${eventId} is handled by ${owner}: passing it on`,
			});
			return { httpStatus: 200, body: { status: 'accepted' }, forwardTo: owner, log };
		}
	}
	const ordering = orderAgainstVersions(admission, eventId, nowSeconds, log);
	if (ordering.answer) return { ...ordering.answer, log };
	const claim = admission.dedupe && claimOnce(admission.dedupe, eventId, nowSeconds, settings, log);
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
		messageId: event.messageId,
		signedAt: new Date(event.signedAt * 1000).toISOString(),
		receivedAt: new Date(event.receivedAtMs).toISOString(),
	};
	return {
		httpStatus: 200,
		body: { status: 'accepted' },
		item: outputItem(event.envelope, settings, metadata, log),
		claimedId: claim === 'new' ? eventId : undefined,
		heldVersion,
		log,
	};
}
