import { createHash } from 'node:crypto';

import {
	BUCKET_SECONDS,
	EntryLog,
	HourlyNotice,
	type EntryLogFormat,
	type StoredEntryLog,
	type SyncResult,
} from './entryLog';

export { BUCKET_SECONDS };
export type { SyncResult, WriterEntry } from './entryLog';

/** 9 bytes of SHA-256 in base64url: 12 characters whatever the id's length. */
export const FINGERPRINT_CHARS = 12;
/**
 * 2 adds `writers`, so a process can tell whether stored state lacks its own writes or holds
 * others' it has not merged yet without reading the ids; 1 (release 0.1.0) is still read.
 */
export const STORE_FORMAT_VERSION = 2;
/** Share of the cap at which the store warns that it will soon evict ids. */
export const NEAR_CAP_SHARE = 0.9;

const DEDUPE_FORMAT: EntryLogFormat = {
	version: STORE_FORMAT_VERSION,
	readable: [1, STORE_FORMAT_VERSION],
	entryChars: FINGERPRINT_CHARS,
	bucketPattern: /^[A-Za-z0-9_-]*$/,
	name: 'dedupe',
};

/** Buckets of id fingerprints (see entryLog.ts for the rest). */
export type StoredDedupeState = StoredEntryLog;

export interface DedupeLimits {
	retentionSeconds: number;
	maxIds: number;
}

/**
 * Where an id stands for this process: never seen, a delivery of it under way (its run not
 * yet safe: see acknowledge.ts), or processed.
 */
export type ClaimResult = 'new' | 'in-progress' | 'duplicate';

export interface PruneResult {
	expired: number;
	evicted: number;
	/** Set once when the store first reaches NEAR_CAP_SHARE of its cap. */
	nearCap: boolean;
}

export function fingerprint(id: string): string {
	return createHash('sha256').update(id).digest().subarray(0, 9).toString('base64url');
}

/**
 * The ids one trigger node has processed, held in memory by the process and mirrored into the
 * workflow's static data. n8n gives every request its own copy of static data and saves it
 * whole, last writer wins, so the copy alone cannot dedupe concurrent deliveries: this index is
 * the authority within a process, and static data carries it across restarts and to the other
 * processes of a queue-mode setup.
 */
export class DedupeLedger {
	private readonly index = new Set<string>();
	/**
	 * Ids whose delivery is under way, with when the claim lapses (epoch seconds). Held in memory
	 * only: a claim must not outlive the process, or a crash would leave its event blocked.
	 */
	private readonly claims = new Map<string, number>();
	private readonly log: EntryLog;
	private warnedNearCap = false;
	private readonly evictionNotice = new HourlyNotice();

	constructor(writerId: string) {
		this.log = new EntryLog(writerId, DEDUPE_FORMAT, {
			absorb: (print) => {
				// Another process ran it (a queue-mode worker, say): no claim here waits for it any more.
				this.claims.delete(print);
				if (this.index.has(print)) return false;
				this.index.add(print);
				return true;
			},
			dropped: (print) => this.index.delete(print),
		});
	}

	get size(): number {
		return this.index.size;
	}

	has(id: string): boolean {
		return this.index.has(fingerprint(id));
	}

	/** Records the id; false when it was already there. Synchronous, so check and record are one step. */
	add(id: string, nowSeconds: number): boolean {
		const print = fingerprint(id);
		this.claims.delete(print);
		if (this.index.has(print)) return false;
		this.index.add(print);
		this.log.record(print, nowSeconds);
		return true;
	}

	/**
	 * Takes the id for one delivery unless it was processed or another delivery of it is under
	 * way. The claim holds for `holdSeconds`, until settled, or until this process ends;
	 * check and claim are one synchronous step.
	 */
	claim(id: string, nowSeconds: number, holdSeconds: number): ClaimResult {
		const print = fingerprint(id);
		if (this.index.has(print)) return 'duplicate';
		const lapsesAt = this.claims.get(print);
		if (lapsesAt !== undefined && lapsesAt > nowSeconds) return 'in-progress';
		this.claims.set(print, nowSeconds + holdSeconds);
		return 'new';
	}

	/** Ends a claim: the id is recorded when its delivery became safe, freed when it did not. */
	settle(id: string, nowSeconds: number, safe: boolean) {
		if (safe) this.add(id, nowSeconds);
		else this.claims.delete(fingerprint(id));
	}

	/** See EntryLog.sync: merges what other processes saved, and tells whether to save again. */
	sync(stored: unknown, nowSeconds: number): SyncResult {
		return this.log.sync(stored, nowSeconds);
	}

	/** Where this process is reachable; written with its next save for other processes. */
	locatedAt(address: string) {
		this.log.locatedAt(address);
	}

	/** Addresses of the other processes that wrote to the store within the last `withinSeconds`. */
	peers(nowSeconds: number, withinSeconds: number): string[] {
		return this.log.peers(nowSeconds, withinSeconds);
	}

	/** Drops ids older than the retention, then the oldest ids beyond the cap, and lapsed claims. */
	prune(nowSeconds: number, limits: DedupeLimits): PruneResult {
		for (const [print, lapsesAt] of this.claims) {
			if (lapsesAt <= nowSeconds) this.claims.delete(print);
		}
		const { expired, evicted } = this.log.prune(nowSeconds, {
			retentionSeconds: limits.retentionSeconds,
			maxEntries: limits.maxIds,
		});
		const isNearCap = this.index.size >= limits.maxIds * NEAR_CAP_SHARE;
		const nearCap = isNearCap && !this.warnedNearCap;
		this.warnedNearCap = isNearCap;
		return { expired, evicted, nearCap };
	}

	/** Whether a delivery's claim is under way: its state must stay in memory until it settles. */
	hasClaims(nowSeconds: number): boolean {
		for (const lapsesAt of this.claims.values()) if (lapsesAt > nowSeconds) return true;
		return false;
	}

	/** At the cap every delivery evicts, so eviction is reported at most once an hour. */
	evictionWarningDue(nowSeconds: number): boolean {
		return this.evictionNotice.due(nowSeconds);
	}

	/** The state to put into static data (see EntryLog.persistent). */
	persistent(): StoredDedupeState {
		return this.log.persistent();
	}
}
