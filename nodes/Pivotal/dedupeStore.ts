import { createHash } from 'node:crypto';

/** Ids are grouped by the hour they arrived in, so ageing out drops whole groups. */
export const BUCKET_SECONDS = 3600;
/** 9 bytes of SHA-256 in base64url: 12 characters whatever the id's length. */
export const FINGERPRINT_CHARS = 12;
/**
 * 2 adds `writers`, so a process can tell whether stored state lacks its own writes or holds
 * others' it has not merged yet without reading the ids; 1 (release 0.1.0) is still read.
 */
export const STORE_FORMAT_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, STORE_FORMAT_VERSION];
/** Share of the cap at which the store warns that it will soon evict ids. */
export const NEAR_CAP_SHARE = 0.9;

const FINGERPRINTS = /^[A-Za-z0-9_-]*$/;

export interface StoredDedupeState {
	v: typeof STORE_FORMAT_VERSION;
	/** The writer that saved this state and its revision, `<writer>.<revision>`. */
	rev: string;
	/**
	 * For each process whose ids are in here: the newest of its revisions included, when (epoch
	 * seconds) it made it, and where other processes can reach it (see eventOwner.ts). Writers
	 * quiet for longer than the retention go.
	 */
	writers: Record<string, WriterEntry>;
	/** [hour start in epoch seconds, fingerprints of the ids that arrived in that hour] */
	buckets: Array<[number, string]>;
}

export type WriterEntry = [revision: number, seenAt: number, address?: string];

export interface DedupeLimits {
	retentionSeconds: number;
	maxIds: number;
}

export interface SyncResult {
	absorbed: number;
	/**
	 * The stored state lacks ids this process recorded: another process's save overwrote them
	 * (n8n saves static data whole, last writer wins), or the state was unreadable or of the
	 * previous format. Saving the ledger's state puts them back.
	 */
	behind: boolean;
	/** Why some or all of the stored state could not be read. */
	problem?: string;
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

function bucketOf(nowSeconds: number): number {
	return Math.floor(nowSeconds / BUCKET_SECONDS) * BUCKET_SECONDS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function writerOf(rev: unknown): string | undefined {
	return typeof rev === 'string' && rev.includes('.')
		? rev.slice(0, rev.lastIndexOf('.'))
		: undefined;
}

/** The revisions a stored state says it includes; malformed entries count as unknown. */
function writersIn(state: Record<string, unknown>): Map<string, WriterEntry> {
	const writers = new Map<string, WriterEntry>();
	if (!isRecord(state.writers)) return writers;
	for (const [writer, entry] of Object.entries(state.writers)) {
		if (!Array.isArray(entry)) continue;
		const [revision, seenAt, address] = entry as unknown[];
		if (Number.isSafeInteger(revision) && Number.isSafeInteger(seenAt)) {
			const known: WriterEntry = [revision as number, seenAt as number];
			if (typeof address === 'string') known.push(address);
			writers.set(writer, known);
		}
	}
	return writers;
}

/**
 * The ids one trigger node has processed, held in memory by the process and mirrored into the
 * workflow's static data. n8n gives every request its own copy of static data and saves it
 * whole, last writer wins, so the copy alone cannot dedupe concurrent deliveries: this index is
 * the authority within a process, and static data carries it across restarts and to the other
 * processes of a queue-mode setup.
 */
export class DedupeLedger {
	/**
	 * The hour buckets, oldest first. They are the very pairs the stored view lists, so an id
	 * costs one string append and the view never has to be rebuilt.
	 */
	private readonly buckets: Array<[number, string]> = [];
	private readonly index = new Set<string>();
	/**
	 * Ids whose delivery is under way, with when the claim lapses (epoch seconds). Held in memory
	 * only: a claim must not outlive the process, or a crash would leave its event blocked.
	 */
	private readonly claims = new Map<string, number>();
	/** Counts this process's own additions: what another state may or may not include. */
	private revision = 0;
	/** Other writers: the newest revision merged from each, and when it was seen. */
	private readonly merged = new Map<string, WriterEntry>();
	/**
	 * Per writer, the bucket strings last merged from its state. A writer only appends to a
	 * bucket or drops ids from its front, so the next merge of its state reads only what follows.
	 */
	private readonly mergedBuckets = new Map<string, Map<number, string>>();
	private warnedNearCap = false;
	private evictionWarnedAt = Number.NEGATIVE_INFINITY;
	private lastSeenAt = 0;
	private address?: string;
	private readonly view: StoredDedupeState;

	constructor(private readonly writerId: string) {
		this.view = {
			v: STORE_FORMAT_VERSION,
			rev: `${writerId}.0`,
			writers: {},
			buckets: this.buckets,
		};
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
		this.append(print, bucketOf(nowSeconds));
		this.revision++;
		this.refreshView(nowSeconds);
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

	/**
	 * Brings this ledger and the stored state (what this request loaded from the database) in
	 * step: merges ids other processes saved that this one has not seen, and reports whether the
	 * stored state lacks some of this process's own. Costs nothing proportional to the number of
	 * ids when there is nothing new, and reads only the new ids when there is.
	 */
	sync(stored: unknown, nowSeconds: number): SyncResult {
		const revision = this.revision;
		if (stored === undefined || stored === null) return { absorbed: 0, behind: revision > 0 };
		if (!isRecord(stored) || !READABLE_VERSIONS.includes(stored.v)) {
			return { absorbed: 0, behind: true, problem: 'stored dedupe state has an unknown format' };
		}
		if (!Array.isArray(stored.buckets)) {
			return { absorbed: 0, behind: true, problem: 'stored dedupe state has no bucket list' };
		}
		const writers = writersIn(stored);
		const own = writers.get(this.writerId)?.[0] ?? 0;
		const news = [...writers].filter(
			([writer, [theirs]]) =>
				writer !== this.writerId && theirs > (this.merged.get(writer)?.[0] ?? 0),
		);
		// The previous format has no writers list: read it whole.
		const isPrevious = stored.v !== STORE_FORMAT_VERSION;
		for (const [writer, entry] of news) this.merged.set(writer, entry);
		if (!isPrevious && news.length === 0) {
			return { absorbed: 0, behind: own < revision };
		}
		const { absorbed, unreadable } = this.merge(writerOf(stored.rev), stored.buckets);
		// Ids read from the previous format are known to no writer: this one takes them over.
		if (isPrevious && absorbed > 0) this.revision++;
		if (absorbed > 0 || news.length > 0) this.refreshView(nowSeconds);
		const behind = isPrevious || unreadable > 0 || own < revision;
		return unreadable === 0
			? { absorbed, behind }
			: { absorbed, behind, problem: `${unreadable} stored dedupe bucket(s) were unreadable` };
	}

	/** Where this process is reachable; written with its next save for other processes. */
	locatedAt(address: string) {
		this.address = address;
	}

	/** Addresses of the other processes that wrote to the store within the last `withinSeconds`. */
	peers(nowSeconds: number, withinSeconds: number): string[] {
		const addresses = new Set<string>();
		for (const [, seenAt, address] of this.merged.values()) {
			if (
				address !== undefined &&
				address !== this.address &&
				seenAt >= nowSeconds - withinSeconds
			) {
				addresses.add(address);
			}
		}
		return [...addresses];
	}

	/** Drops ids older than the retention, then the oldest ids beyond the cap, and lapsed claims. */
	prune(nowSeconds: number, limits: DedupeLimits): PruneResult {
		const cutoff = nowSeconds - limits.retentionSeconds;
		for (const [print, lapsesAt] of this.claims) {
			if (lapsesAt <= nowSeconds) this.claims.delete(print);
		}
		let expired = 0;
		let evicted = 0;
		while (this.buckets.length > 0 && this.buckets[0][0] + BUCKET_SECONDS <= cutoff) {
			expired += this.dropOldest(Number.POSITIVE_INFINITY);
		}
		while (this.index.size > limits.maxIds) {
			evicted += this.dropOldest(this.index.size - limits.maxIds);
		}
		// A writer quiet for longer than the retention has no ids left to merge.
		for (const [writer, [, seenAt]] of this.merged) {
			if (seenAt <= cutoff) {
				this.merged.delete(writer);
				this.mergedBuckets.delete(writer);
			}
		}
		if (expired + evicted > 0) this.refreshView(nowSeconds);
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

	private refreshView(nowSeconds: number) {
		this.lastSeenAt = Math.max(this.lastSeenAt, nowSeconds);
		this.view.rev = `${this.writerId}.${this.revision}`;
		const own: WriterEntry = [this.revision, this.lastSeenAt];
		if (this.address !== undefined) own.push(this.address);
		this.view.writers = Object.fromEntries([...this.merged, [this.writerId, own]]);
	}

	/** Adds the ids of `writer`'s buckets that follow what was merged from it last time. */
	private merge(writer: string | undefined, buckets: unknown[]) {
		const previous = (writer !== undefined && this.mergedBuckets.get(writer)) || new Map();
		const current = new Map<number, string>();
		let absorbed = 0;
		let unreadable = 0;
		for (const bucket of buckets) {
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
			current.set(start, prints);
			for (
				let at = this.unreadFrom(previous.get(start), prints);
				at < prints.length;
				at += FINGERPRINT_CHARS
			) {
				const print = prints.slice(at, at + FINGERPRINT_CHARS);
				// Another process ran it (a queue-mode worker, say): no claim here waits for it any more.
				this.claims.delete(print);
				if (this.index.has(print)) continue;
				this.append(print, start as number);
				absorbed++;
			}
		}
		if (writer !== undefined && writer !== this.writerId) this.mergedBuckets.set(writer, current);
		return { absorbed, unreadable };
	}

	/**
	 * Where the ids not merged yet start in a writer's bucket. When the bucket still has, at the
	 * same offset, the last id read from it before, the writer only appended since; had it dropped
	 * ids from the front, another id would stand there (bar a 72-bit fingerprint collision).
	 */
	private unreadFrom(before: string | undefined, prints: string): number {
		if (before === undefined || before.length === 0 || prints.length < before.length) return 0;
		const last = before.length - FINGERPRINT_CHARS;
		return prints.startsWith(before.slice(last), last) ? before.length : 0;
	}

	private append(print: string, start: number) {
		this.bucketAt(start)[1] += print;
		this.index.add(print);
	}

	/** The bucket for an hour; new ids almost always go to the newest, so look there first. */
	private bucketAt(start: number): [number, string] {
		let at = this.buckets.length;
		while (at > 0 && this.buckets[at - 1][0] > start) at--;
		if (at > 0 && this.buckets[at - 1][0] === start) return this.buckets[at - 1];
		const bucket: [number, string] = [start, ''];
		this.buckets.splice(at, 0, bucket);
		return bucket;
	}

	/** Removes up to `count` of the ids that arrived first in the oldest bucket; returns how many went. */
	private dropOldest(count: number): number {
		const bucket = this.buckets[0];
		const prints = bucket[1];
		const dropChars = Math.min(prints.length, count * FINGERPRINT_CHARS);
		for (let at = 0; at < dropChars; at += FINGERPRINT_CHARS) {
			this.index.delete(prints.slice(at, at + FINGERPRINT_CHARS));
		}
		if (dropChars === prints.length) this.buckets.shift();
		else bucket[1] = prints.slice(dropChars);
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
