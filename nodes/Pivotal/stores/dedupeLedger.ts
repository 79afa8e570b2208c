import { EntryLog } from './entryLog';
import { fingerprint, FINGERPRINT_CHARS } from './fingerprint';
import { HourlyNotice } from './hourlyNotice';
import { PrefixSet } from './prefixSet';
import { cutLow, MAX_WIDTH, sealWidth, sortUnique, type Prefixes } from './prefixes';
import {
	decodeSealed,
	encodeSealed,
	sealedCount,
	truncateSealed,
	type DecodedPart,
} from './sealedBucket';
import {
	BUCKET_SECONDS,
	isRecord,
	type EntryLimits,
	type EntryLogFormat,
	type SealedHooks,
	type SealedPart,
	type StoredEntryLog,
	type SyncResult,
} from './storedState';

export { BUCKET_SECONDS };
export type { SyncResult, WriterEntry } from './storedState';

/**
 * 3 seals the buckets of ended hours (sealedBucket.ts), about 7.6 bytes per id instead of 12;
 * 2 added `writers`, so a process can tell whether stored state lacks its own writes or holds
 * others' it has not merged yet without reading the ids; 1 (release 0.1.0). All are read.
 * @internal Exported for the tests.
 */
export const STORE_FORMAT_VERSION = 3;
/** The first 63 bits of a fingerprint: how an id of an open bucket is known in memory. */
const OPEN_WIDTH = MAX_WIDTH;
/** Share of the cap at which the store warns that it will soon evict ids. */
const NEAR_CAP_SHARE = 0.9;

const DEDUPE_FORMAT: EntryLogFormat = {
	version: STORE_FORMAT_VERSION,
	readable: [1, 2, STORE_FORMAT_VERSION],
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

const BASE64URL = new Int8Array(128).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].forEach((char, value) => {
	BASE64URL[char.charCodeAt(0)] = value;
});

/** The first 64 bits of a fingerprint as two 32-bit halves; its characters are base64url. */
function halvesOf(print: string): [hi: number, lo: number] {
	const digit = (at: number) => BASE64URL[print.charCodeAt(at)];
	const hi =
		(digit(0) << 26) |
		(digit(1) << 20) |
		(digit(2) << 14) |
		(digit(3) << 8) |
		(digit(4) << 2) |
		(digit(5) >>> 4);
	const lo =
		((digit(5) & 15) << 28) |
		(digit(6) << 22) |
		(digit(7) << 16) |
		(digit(8) << 10) |
		(digit(9) << 4) |
		(digit(10) >>> 2);
	return [hi >>> 0, lo >>> 0];
}

/** The open entries of a bucket, end to end, as 63-bit prefixes. */
function prefixesOf(entries: string): Prefixes {
	const count = entries.length / FINGERPRINT_CHARS;
	const pairs = new Uint32Array(2 * count);
	for (let i = 0; i < count; i++) {
		const [hi, lo] = halvesOf(entries.slice(i * FINGERPRINT_CHARS, (i + 1) * FINGERPRINT_CHARS));
		pairs[2 * i] = hi;
		pairs[2 * i + 1] = cutLow(lo, OPEN_WIDTH);
	}
	return { pairs, count, width: OPEN_WIDTH };
}

/** A sealed part this store wrote or has read: always decodable. */
function prefixesIn(part: SealedPart): DecodedPart {
	return (
		decodeSealed(part.code) ?? {
			pairs: new Uint32Array(0),
			starts: new Uint32Array(0),
			count: 0,
			width: OPEN_WIDTH,
		}
	);
}

/**
 * The ids one trigger node has processed, held in memory by the process and mirrored into the
 * workflow's static data. n8n gives every request its own copy of static data and saves it
 * whole, last writer wins, so the copy alone cannot dedupe concurrent deliveries: this index is
 * the authority within a process, and static data carries it across restarts and to the other
 * processes of a queue-mode setup.
 */
export class DedupeLedger {
	/** Every stored id, by the prefix of its fingerprint that its bucket keeps. */
	private readonly index = new PrefixSet();
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
			absorb: (print) => this.index.add(...halvesOf(print), OPEN_WIDTH),
			dropped: (print) => this.index.delete(...halvesOf(print), OPEN_WIDTH),
			sealed: this.sealing(),
		});
	}

	/**
	 * Sealing for the log: a sealed bucket keeps its ids' fingerprints cut to the width the cap
	 * needs (sealedBucket.ts), and the index then knows them by that prefix, as a process that
	 * reads the stored state will. At the cap, eviction from a sealed bucket drops the ids with
	 * the greatest fingerprints rather than the first to arrive: within its hour, any.
	 */
	private sealing(): SealedHooks {
		const { index } = this;
		let lastEvicted: { code: string; decoded: DecodedPart } | undefined;
		/**
		 * The union of these prefixes, cut to `width`, as a sealed part; the index is moved to the
		 * new prefixes. A prefix another bucket's already matches is left out: that one stands for it.
		 */
		const unite = (sets: Prefixes[], width: number): SealedPart | undefined => {
			const total = sets.reduce((sum, set) => sum + set.count, 0);
			const pairs = new Uint32Array(2 * total);
			let at = 0;
			for (const set of sets) {
				for (let i = 0; i < set.count; i++)
					index.delete(set.pairs[2 * i], set.pairs[2 * i + 1], set.width);
				pairs.set(set.pairs.subarray(0, 2 * set.count), at);
				at += 2 * set.count;
			}
			let count = 0;
			for (let i = 0, unique = sortUnique(pairs, total, width); i < unique; i++) {
				if (!index.add(pairs[2 * i], pairs[2 * i + 1], width)) continue;
				pairs[2 * count] = pairs[2 * i];
				pairs[2 * count + 1] = pairs[2 * i + 1];
				count++;
			}
			return count === 0 ? undefined : { code: encodeSealed({ pairs, count, width }), count };
		};
		return {
			seal: (part: SealedPart | undefined, entries: string, limits: EntryLimits) => {
				const sealed = part === undefined ? undefined : prefixesIn(part);
				const width = Math.min(sealWidth(limits.maxEntries), sealed?.width ?? OPEN_WIDTH);
				return unite(sealed ? [sealed, prefixesOf(entries)] : [prefixesOf(entries)], width);
			},
			absorb: (code: string, part: SealedPart | undefined) => {
				const theirs = decodeSealed(code);
				if (theirs === undefined) return undefined;
				index.reserve(index.size + theirs.count);
				const news = new Uint32Array(2 * theirs.count);
				let absorbed = 0;
				for (let i = 0; i < theirs.count; i++) {
					const hi = theirs.pairs[2 * i];
					const lo = theirs.pairs[2 * i + 1];
					if (!index.add(hi, lo, theirs.width)) continue;
					news[2 * absorbed] = hi;
					news[2 * absorbed + 1] = lo;
					absorbed++;
				}
				if (absorbed === 0) return { part, absorbed };
				if (part === undefined && absorbed === theirs.count) {
					return { part: { code, count: absorbed }, absorbed };
				}
				const added: Prefixes = { pairs: news, count: absorbed, width: theirs.width };
				if (part === undefined) return { part: unite([added], theirs.width), absorbed };
				const own = prefixesIn(part);
				return { part: unite([own, added], Math.min(own.width, theirs.width)), absorbed };
			},
			evict: (part: SealedPart, count: number) => {
				// At the cap every delivery evicts one id from the same part: decode it once.
				const decoded = lastEvicted?.code === part.code ? lastEvicted.decoded : prefixesIn(part);
				const { pairs, width } = decoded;
				const kept = part.count - count;
				for (let i = kept; i < part.count; i++) {
					index.delete(pairs[2 * i], pairs[2 * i + 1], width);
				}
				if (kept === 0) return undefined;
				const code = truncateSealed(part.code, decoded, kept);
				lastEvicted = { code, decoded };
				return { code, count: kept };
			},
			dropped: (part: SealedPart) => {
				const { pairs, count, width } = prefixesIn(part);
				for (let i = 0; i < count; i++) index.delete(pairs[2 * i], pairs[2 * i + 1], width);
			},
		};
	}

	get size(): number {
		return this.index.size;
	}

	has(id: string): boolean {
		return this.index.has(...halvesOf(fingerprint(id)), OPEN_WIDTH);
	}

	/** Records the id; false when it was already there. Synchronous, so check and record are one step. */
	add(id: string, nowSeconds: number): boolean {
		const print = fingerprint(id);
		this.claims.delete(print);
		if (!this.index.add(...halvesOf(print), OPEN_WIDTH)) return false;
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
		if (this.index.has(...halvesOf(print), OPEN_WIDTH)) return 'duplicate';
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

	/** See EntryLog.firstRead: takes in a large stored state without blocking n8n. */
	async firstRead(stored: unknown, pause: () => Promise<void>): Promise<void> {
		if (this.index.size === 0) this.index.reserve(storedCount(stored));
		await this.log.firstRead(stored, pause);
	}

	get firstReadPending(): boolean {
		return this.log.firstReadPending;
	}

	/** See EntryLog.sync: merges what other processes saved, and tells whether to save again. */
	sync(stored: unknown, nowSeconds: number): SyncResult {
		if (this.index.size === 0) this.index.reserve(storedCount(stored));
		const result = this.log.sync(stored, nowSeconds);
		// Another process ran them (a queue-mode worker, say): no claim here waits for them any more.
		if (result.absorbed > 0) {
			for (const print of this.claims.keys()) {
				if (this.index.has(...halvesOf(print), OPEN_WIDTH)) this.claims.delete(print);
			}
		}
		return result;
	}

	/** Where this process is reachable; written with its next save for other processes. */
	locatedAt(address: string) {
		this.log.locatedAt(address);
	}

	announcedSince(nowSeconds: number): boolean {
		return this.log.announcedSince(nowSeconds);
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

	/** See EntryLog.isNewer: stored state of a later release, never to be replaced. */
	isNewer(stored: unknown): boolean {
		return this.log.isNewer(stored);
	}

	/** See EntryLog.storedProblemDue. */
	storedProblemDue(nowSeconds: number): boolean {
		return this.log.storedProblemDue(nowSeconds);
	}
}

/**
 * The most ids a first read sizes the index for: twice the node's largest cap. Stored state
 * may claim more (damaged or forged); the index then grows as ids are actually read.
 * @internal Exported for the tests.
 */
export const MAX_RESERVED_IDS = 2_000_000;

/**
 * About how many ids stored state holds, read from its sealed parts' headers only, each held to
 * what its payload can hold, and all to MAX_RESERVED_IDS.
 * @internal exported for its test
 */
export function storedCount(stored: unknown): number {
	return Math.min(MAX_RESERVED_IDS, claimedCount(stored));
}

function claimedCount(stored: unknown): number {
	if (!isRecord(stored) || !Array.isArray(stored.buckets)) return 0;
	let count = 0;
	for (const bucket of stored.buckets) {
		const text: unknown = Array.isArray(bucket) ? bucket[1] : undefined;
		if (typeof text !== 'string') continue;
		const comma = text.indexOf(',');
		const sealed = comma < 0 ? 0 : (sealedCount(text.slice(0, comma)) ?? 0);
		count += sealed + Math.floor((text.length - comma - 1) / FINGERPRINT_CHARS);
	}
	return count;
}
