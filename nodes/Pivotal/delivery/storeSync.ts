import type { DedupeLedger } from '../stores/dedupeLedger';
import type { StoredEntryLog, SyncResult } from '../stores/storedState';
import type { VersionLedger } from '../stores/versionLedger';
import type { LogLine } from './outcome';

interface Ledger {
	sync(stored: unknown, nowSeconds: number): SyncResult;
	persistent(): StoredEntryLog;
	/** A problem with stored state that stays until someone fixes it: said at most once an hour. */
	storedProblemDue(nowSeconds: number): boolean;
	firstRead(stored: unknown, pause: () => Promise<void>): Promise<void>;
}

export interface StoreAccess<L extends Ledger> {
	ledger: L;
	/** What this request's copy of the workflow's static data holds for the node. */
	stored: unknown;
	/**
	 * Puts the ledger's state into this copy of static data, for n8n's next save; does nothing
	 * where that would replace stored state unread (see n8n/nodeStores.ts).
	 */
	save(state: StoredEntryLog): void;
	/** Keeps what was stored beside the store, before a save replaces what could not be read. */
	keepAside(): void;
}

export type DedupeAccess = StoreAccess<DedupeLedger>;
export type VersionAccess = StoreAccess<VersionLedger>;

export interface Stores {
	/** Absent on test-URL runs: n8n throws their static data away. */
	dedupe?: DedupeAccess;
	/** With `dedupe`, when Skip Out-of-Order Events is on: the objects' versions. */
	versions?: VersionAccess;
}

function each(stores: Stores): Array<StoreAccess<Ledger>> {
	return [stores.dedupe, stores.versions].filter((store) => store !== undefined);
}

/**
 * Merges what other processes saved and, when the stored state lacks entries this process
 * recorded (another process's save overwrote them), saves the full state again. Every signed
 * delivery does it, ignored and duplicate ones too, so lost writes come back at the first chance.
 */
function syncStore(store: StoreAccess<Ledger>, nowSeconds: number, log: LogLine[]) {
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

/**
 * A large stored state's first read, for each of the node's stores (see EntryLog.firstRead).
 * Called only once a request's signature holds, so a forged request never costs a read.
 */
export async function firstReadStores(stores: Stores, pause: () => Promise<void>) {
	for (const store of each(stores)) await store.ledger.firstRead(store.stored, pause);
}

/** syncStore for each of the node's stores. */
export function syncStores(stores: Stores, nowSeconds: number, log: LogLine[]) {
	for (const store of each(stores)) syncStore(store, nowSeconds, log);
}

/** Puts each store's current state into static data, for n8n's next save. */
export function saveStores(stores: Stores) {
	for (const store of each(stores)) store.save(store.ledger.persistent());
}

/**
 * The save channel: what the node's own save request does once verified. It merges what the
 * database holds and puts the whole state into this request's copy, which n8n saves before it
 * answers (see n8n/saveRequest.ts).
 */
export function saveOnRequest(stores: Stores, nowSeconds: number, log: LogLine[]) {
	syncStores(stores, nowSeconds, log);
	saveStores(stores);
}
