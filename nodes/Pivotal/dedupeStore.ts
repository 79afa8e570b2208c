import { createHash } from 'node:crypto';

/** Ids are grouped by the hour they arrived in, so ageing out drops whole groups. */
export const BUCKET_SECONDS = 3600;
/** 9 bytes of SHA-256 in base64url: 12 characters whatever the id's length. */
export const FINGERPRINT_CHARS = 12;
export const STORE_FORMAT_VERSION = 1;
/** Share of the cap at which the store warns that it will soon evict ids. */
export const NEAR_CAP_SHARE = 0.9;

const FINGERPRINTS = /^[A-Za-z0-9_-]*$/;

export interface StoredDedupeState {
	v: typeof STORE_FORMAT_VERSION;
	/** Who wrote this state and when, so a process can tell its own writes from others'. */
	rev: string;
	/** [hour start in epoch seconds, fingerprints of the ids that arrived in that hour] */
	buckets: Array<[number, string]>;
}

export interface DedupeLimits {
	retentionSeconds: number;
	maxIds: number;
}

export interface AbsorbResult {
	absorbed: number;
	/** Why some or all of the stored state could not be read; it is then rewritten whole. */
	problem?: string;
}

export interface PruneResult {
	expired: number;
	evicted: number;
	/** Set once when the store first reaches NEAR_CAP_SHARE of its cap. */
	nearCap: boolean;
}

export function fingerprint(id: string): string {
	return createHash('sha256').update(id).digest().subarray(0, 9).toString('base64url');
}

function bucketOf(nowSeconds: number): number {
	return Math.floor(nowSeconds / BUCKET_SECONDS) * BUCKET_SECONDS;
}

/**
 * The ids one trigger node has processed, held in memory by the process and mirrored into the
 * workflow's static data. n8n gives every request its own copy of static data and saves it
 * whole, last writer wins, so the copy alone cannot dedupe concurrent deliveries: this index is
 * the authority within a process, and static data carries it across restarts.
 */
export class DedupeLedger {
	private readonly buckets = new Map<number, string>();
	private readonly index = new Map<string, number>();
	private revision = 0;
	private warnedNearCap = false;
	private evictionWarnedAt = Number.NEGATIVE_INFINITY;
	private readonly view: StoredDedupeState;

	constructor(private readonly writerId: string) {
		this.view = { v: STORE_FORMAT_VERSION, rev: `${writerId}.0`, buckets: [] };
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
		if (this.index.has(print)) return false;
		this.append(print, bucketOf(nowSeconds));
		this.changed();
		return true;
	}

	/** True when static data still holds something this ledger wrote, so nothing in it is new. */
	wrote(rev: unknown): boolean {
		if (typeof rev !== 'string' || !rev.startsWith(`${this.writerId}.`)) return false;
		const counter = Number(rev.slice(this.writerId.length + 1));
		return Number.isInteger(counter) && counter <= this.revision;
	}

	/** True when static data holds this ledger's newest write, so saving again would change nothing. */
	isLatest(rev: unknown): boolean {
		return rev === `${this.writerId}.${this.revision}`;
	}

	/** Merges ids from stored state (another process's, or this one's before a restart). */
	absorb(stored: unknown): AbsorbResult {
		if (stored === undefined || stored === null) return { absorbed: 0 };
		const state = stored as Partial<StoredDedupeState>;
		if (typeof stored !== 'object' || state.v !== STORE_FORMAT_VERSION) {
			return { absorbed: 0, problem: 'stored dedupe state has an unknown format' };
		}
		if (!Array.isArray(state.buckets)) {
			return { absorbed: 0, problem: 'stored dedupe state has no bucket list' };
		}
		let absorbed = 0;
		let unreadable = 0;
		for (const bucket of state.buckets) {
			const [start, prints] = Array.isArray(bucket) ? bucket : [];
			if (
				!Number.isSafeInteger(start) ||
				typeof prints !== 'string' ||
				prints.length % FINGERPRINT_CHARS !== 0 ||
				!FINGERPRINTS.test(prints)
			) {
				unreadable++;
				continue;
			}
			for (let at = 0; at < prints.length; at += FINGERPRINT_CHARS) {
				const print = prints.slice(at, at + FINGERPRINT_CHARS);
				if (this.index.has(print)) continue;
				this.append(print, start as number);
				absorbed++;
			}
		}
		if (absorbed > 0) this.changed();
		return unreadable === 0
			? { absorbed }
			: { absorbed, problem: `${unreadable} stored dedupe bucket(s) were unreadable` };
	}

	/** Drops ids older than the retention, then the oldest ids beyond the cap. */
	prune(nowSeconds: number, limits: DedupeLimits): PruneResult {
		const cutoff = nowSeconds - limits.retentionSeconds;
		let expired = 0;
		let evicted = 0;
		for (const start of this.oldestFirst()) {
			if (start + BUCKET_SECONDS > cutoff) break;
			expired += this.dropOldest(start, Number.POSITIVE_INFINITY);
		}
		for (const start of this.oldestFirst()) {
			const excess = this.index.size - limits.maxIds;
			if (excess <= 0) break;
			evicted += this.dropOldest(start, excess);
		}
		if (expired + evicted > 0) this.changed();
		const isNearCap = this.index.size >= limits.maxIds * NEAR_CAP_SHARE;
		const nearCap = isNearCap && !this.warnedNearCap;
		this.warnedNearCap = isNearCap;
		return { expired, evicted, nearCap };
	}

	/** At the cap every delivery evicts, so eviction is reported at most once an hour. */
	evictionWarningDue(nowSeconds: number): boolean {
		if (nowSeconds - this.evictionWarnedAt < BUCKET_SECONDS) return false;
		this.evictionWarnedAt = nowSeconds;
		return true;
	}

	/**
	 * The state to put into static data: always the same object, kept current as ids arrive.
	 * n8n serializes static data only when it saves, after the request, and parallel requests'
	 * saves land in any order; since each of them serializes this one object, whichever lands
	 * last carries every id known when it was written, not just those known to its own request.
	 */
	persistent(): StoredDedupeState {
		return this.view;
	}

	private changed() {
		this.revision++;
		this.view.rev = `${this.writerId}.${this.revision}`;
		this.view.buckets = this.oldestFirst().map((start) => [
			start,
			this.buckets.get(start) as string,
		]);
	}

	private append(print: string, start: number) {
		this.buckets.set(start, (this.buckets.get(start) ?? '') + print);
		this.index.set(print, start);
	}

	private oldestFirst(): number[] {
		return [...this.buckets.keys()].sort((a, b) => a - b);
	}

	/** Removes up to `count` of the ids that arrived first in a bucket; returns how many went. */
	private dropOldest(start: number, count: number): number {
		const prints = this.buckets.get(start) as string;
		const dropChars = Math.min(prints.length, count * FINGERPRINT_CHARS);
		for (let at = 0; at < dropChars; at += FINGERPRINT_CHARS) {
			this.index.delete(prints.slice(at, at + FINGERPRINT_CHARS));
		}
		if (dropChars === prints.length) this.buckets.delete(start);
		else this.buckets.set(start, prints.slice(dropChars));
		return dropChars / FINGERPRINT_CHARS;
	}
}

const ledgers = new Map<string, DedupeLedger>();

/** One ledger per trigger node per process, shared by every request the process serves. */
export function sharedLedger(key: string, writerId: string): DedupeLedger {
	let ledger = ledgers.get(key);
	if (!ledger) {
		ledger = new DedupeLedger(writerId);
		ledgers.set(key, ledger);
	}
	return ledger;
}
