import { ADDRESS_REFRESH_SECONDS, isPeerAddress } from './peers';

/** Entries are grouped by the hour they arrived in, so ageing out drops whole groups. */
export const BUCKET_SECONDS = 3600;
/**
 * How long this process's own entries may be missing from stored state before it counts as
 * behind: its saves are grouped (groupCommit.ts) and land when a run ends, so entries younger
 * than this are on their way, not overwritten.
 */
export const SAVE_GRACE_SECONDS = 5;
/**
 * How many characters of stored buckets a first read takes in per turn of the event loop (see
 * firstRead): about 3,000 ids, a millisecond or two. A request n8n serves meanwhile needs a dozen
 * turns or more (each database query is one), and waits behind one such slice at each of them.
 */
export const CHARS_PER_TURN = 24_000;

export type WriterEntry = [revision: number, seenAt: number, address?: string];

export interface StoredEntryLog {
	v: number;
	/** The writer that saved this state and its revision, `<writer>.<revision>`. */
	rev: string;
	/**
	 * For each process whose entries are in here: the newest of its revisions included, when
	 * (epoch seconds) it made it, and where other processes can reach it (see eventOwner.ts).
	 * Writers quiet for longer than the retention go.
	 */
	writers: Record<string, WriterEntry>;
	/**
	 * [hour start in epoch seconds, the entries that arrived in that hour, end to end]. With
	 * sealing (SealedHooks), a bucket whose hour has ended is `<sealed part>,<entries>`: the
	 * owner's compact form of most of them, then those that came since it was sealed.
	 */
	buckets: Array<[number, string]>;
}

export interface EntryLogFormat {
	/** The format version written; earlier versions in `readable` have no writers list. */
	version: number;
	readable: readonly unknown[];
	/** Every entry has this many characters, so a bucket is read without separators. */
	entryChars: number;
	/** What a readable bucket string (or the entries after a sealed part) looks like. */
	bucketPattern: RegExp;
	/** Names the state in problems: "stored <name> state has an unknown format". */
	name: string;
}

export interface EntryHooks {
	/**
	 * An entry read from stored state (another process's, or an earlier run's): true when it
	 * is news to this log, which then carries it too.
	 */
	absorb(entry: string, start: number): boolean;
	/** An entry leaving the log: aged out or evicted at the cap. */
	dropped(entry: string): void;
	/** Present when the owner can seal buckets whose hour has ended. */
	sealed?: SealedHooks;
}

/** A sealed part of a bucket: the owner's compact form of its entries. */
export interface SealedPart {
	code: string;
	count: number;
}

/**
 * A compact form for buckets whose hour has ended, kept by the owner, which also keeps its
 * index in step with what each sealed part holds (the parts may hold less than the entries
 * did, prefixes of them, say). A sealed part never contains `,`.
 */
export interface SealedHooks {
	/** A bucket's sealed part (if any) with the entries that came since, sealed together. */
	seal(part: SealedPart | undefined, entries: string, limits: EntryLimits): SealedPart | undefined;
	/**
	 * Another state's sealed part of a bucket: the owner takes in what its index lacks and
	 * returns this log's part of the bucket with it; undefined when the code is unreadable.
	 */
	absorb(
		code: string,
		part: SealedPart | undefined,
	): { part: SealedPart | undefined; absorbed: number } | undefined;
	/** The part without `count` of its entries (which ones is the owner's choice). */
	evict(part: SealedPart, count: number): SealedPart | undefined;
	/** A whole part leaving the log. */
	dropped(part: SealedPart): void;
}

/** Another writer's bucket as last merged. */
interface MergedBucket {
	sealed?: string;
	entries: string;
}

export interface EntryLimits {
	retentionSeconds: number;
	maxEntries: number;
}

export interface SyncResult {
	absorbed: number;
	/**
	 * The stored state lacks entries this process recorded: another process's save overwrote
	 * them (n8n saves static data whole, last writer wins), or the state was unreadable or of a
	 * previous format. Saving the log's state puts them back.
	 */
	behind: boolean;
	/** Why some or all of the stored state could not be read. */
	problem?: string;
	/** The stored state is of a newer format than this log writes: it must not be replaced. */
	newer?: boolean;
}

export function bucketOf(nowSeconds: number): number {
	return Math.floor(nowSeconds / BUCKET_SECONDS) * BUCKET_SECONDS;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function writerOf(rev: unknown): string | undefined {
	return typeof rev === 'string' && rev.includes('.')
		? rev.slice(0, rev.lastIndexOf('.'))
		: undefined;
}

/** The revisions a stored state says it includes; malformed entries count as unknown. */
/** Whether every entry of a stored state's writers list can be read. */
function writersReadable(state: Record<string, unknown>): boolean {
	return (
		isRecord(state.writers) &&
		writersIn(state, Number.POSITIVE_INFINITY).size === Object.keys(state.writers).length
	);
}

/**
 * The writers a stored state lists. A time ahead of `nowSeconds` (another process's clock, or
 * a forged value) counts as now, so no entry stays live, or escapes pruning, for ever.
 */
function writersIn(state: Record<string, unknown>, nowSeconds: number): Map<string, WriterEntry> {
	const writers = new Map<string, WriterEntry>();
	if (!isRecord(state.writers)) return writers;
	for (const [writer, entry] of Object.entries(state.writers)) {
		if (!Array.isArray(entry)) continue;
		const [revision, seenAt, address] = entry as unknown[];
		if (Number.isSafeInteger(revision) && Number.isSafeInteger(seenAt)) {
			const known: WriterEntry = [
				revision as number,
				Math.min(seenAt as number, Math.floor(nowSeconds)),
			];
			if (isPeerAddress(address)) known.push(address);
			writers.set(writer, known);
		}
	}
	return writers;
}

/**
 * Fixed-width entries in hour buckets, held by one process and mirrored into the workflow's
 * static data, where n8n saves every request's copy whole, last writer wins. Each process
 * counts its own additions (its revision) and lists, in what it saves, the newest revision of
 * every writer it includes: so a process tells in O(writers) whether stored state holds entries
 * it has not merged, reads only the entries another writer appended since it last looked, and
 * knows when another save overwrote its own (it saves again). What the entries mean is the
 * owner's business (the hooks).
 */
export class EntryLog {
	/**
	 * The hour buckets, oldest first. They are the very pairs the stored view lists, so an entry
	 * costs one string append and the view never has to be rebuilt.
	 */
	private readonly buckets: Array<[number, string]> = [];
	/** The sealed part of each bucket that has one, by hour start. */
	private readonly sealedParts = new Map<number, SealedPart>();
	/** The limits of the last prune: sealing cuts entries to what the cap needs. */
	private limits?: EntryLimits;
	private entries = 0;
	private revision = 0;
	/** [when, revision] as the revision grew, oldest first: which revisions are older than the grace. */
	private readonly revisionTimes: Array<[number, number]> = [];
	/** Other writers: the newest revision merged from each, and when it was seen. */
	private readonly merged = new Map<string, WriterEntry>();
	/**
	 * Per writer, the bucket strings last merged from its state. A writer only appends to a
	 * bucket or drops entries from its front, so the next merge of its state reads only what follows.
	 */
	private readonly mergedBuckets = new Map<string, Map<number, MergedBucket>>();
	private reading?: Promise<void>;
	private readDone = false;
	/** Every bucket up to this hour is sealed, but for those in lateBuckets (see sealEnded). */
	private sealedUpTo = Number.NEGATIVE_INFINITY;
	private readonly lateBuckets = new Set<number>();
	private lastSeenAt = 0;
	private address?: string;
	/** When this state last put its address into the view to be saved (see listedLive). */
	private announcedAt = Number.NEGATIVE_INFINITY;
	private readonly view: StoredEntryLog;
	/** What n8n is given of the view (see the constructor). */
	private readonly handle: StoredEntryLog;
	private readonly storedProblemNotice = new HourlyNotice();

	constructor(
		private readonly writerId: string,
		private readonly format: EntryLogFormat,
		private readonly hooks: EntryHooks,
	) {
		const view: StoredEntryLog = {
			v: format.version,
			rev: `${writerId}.0`,
			writers: {},
			buckets: this.buckets,
		};
		this.view = view;
		// n8n wraps every object it finds in static data in a proxy, in place, each time it builds a
		// Workflow over it, and n8n 1.x wraps one already wrapped again: handed the view itself, the
		// live buckets would pile up proxies, one more for each run that carries the store, and every
		// read or save would walk through all of them. The handle's one enumerable field is a number,
		// so n8n finds nothing to wrap; it is read through getters, and serialized (n8n's deepCopy
		// too takes toJSON's result) as a copy of the view's arrays, which share its strings.
		this.handle = Object.defineProperties(
			{ v: format.version },
			{
				rev: { get: () => view.rev },
				writers: { get: () => view.writers },
				buckets: { get: () => view.buckets },
				toJSON: {
					value: (): StoredEntryLog => ({
						v: view.v,
						rev: view.rev,
						writers: Object.fromEntries(
							Object.entries(view.writers).map(([writer, entry]) => [writer, [...entry]]),
						) as Record<string, WriterEntry>,
						buckets: view.buckets.map(([hour, text]): [number, string] => [hour, text]),
					}),
				},
			},
		) as StoredEntryLog;
	}

	get size(): number {
		return this.entries;
	}

	/** Adds an entry this process made; the caller has checked it is news. */
	record(entry: string, nowSeconds: number) {
		this.append(entry, bucketOf(nowSeconds));
		this.bumpRevision(nowSeconds);
		this.refreshView(nowSeconds);
	}

	/**
	 * The first read of stored state by a log that holds nothing yet (after a restart, or once
	 * the node's state was let go), spread over turns of the event loop, whole buckets of about
	 * `CHARS_PER_TURN` characters at a time: read whole, a store of 1,000,000 ids would hold up
	 * every request n8n is serving for over 100 ms. The node's requests await it before they sync,
	 * and the sync then finds nothing left to read. Earlier formats are read by the sync, at once.
	 */
	firstRead(stored: unknown, pause: () => Promise<void>): Promise<void> {
		// Nothing stored may only mean that this copy of static data lacks it (a run n8n recovered
		// after a crash gets none): the next copy is read in turns again.
		if (!isRecord(stored)) return this.reading ?? Promise.resolve();
		this.reading ??= this.readInTurns(stored, pause).then(
			() => {
				this.readDone = true;
			},
			(error: unknown) => {
				// Not cached: the next request reads again rather than failing for ever.
				this.reading = undefined;
				throw error;
			},
		);
		return this.reading;
	}

	/** Whether firstRead has yet to finish (or to start). */
	get firstReadPending(): boolean {
		return !this.readDone;
	}

	private async readInTurns(stored: unknown, pause: () => Promise<void>) {
		if (this.revision > 0 || this.mergedBuckets.size > 0) return;
		// Earlier formats, and a writers list this release cannot read, are read by the sync.
		if (
			!isRecord(stored) ||
			stored.v !== this.format.version ||
			!Array.isArray(stored.buckets) ||
			!writersReadable(stored)
		) {
			return;
		}
		// The stored state's last writer is read like any other: a ledger made after the node's
		// state was let go has a writer id of its own (see nodeStores.ts), so its predecessor's
		// entries, saved under the same process, are news to it.
		const writer = writerOf(stored.rev);
		if (writer === undefined) return;
		let part: unknown[] = [];
		let chars = 0;
		let done = false;
		try {
			for (const bucket of stored.buckets as unknown[]) {
				part.push(bucket);
				chars += Array.isArray(bucket) && typeof bucket[1] === 'string' ? bucket[1].length : 0;
				if (chars >= CHARS_PER_TURN) {
					this.merge(writer, part, true);
					part = [];
					chars = 0;
					await pause();
				}
			}
			this.merge(writer, part, true);
			done = true;
		} finally {
			// Cut short: read again from the start next time; what was taken in is not taken twice.
			if (!done) this.mergedBuckets.delete(writer);
		}
	}

	/**
	 * Brings this log and the stored state (what this request loaded from the database) in
	 * step: merges entries other processes saved that this one has not seen, and reports whether
	 * the stored state lacks some of this process's own. Costs nothing proportional to the number
	 * of entries when there is nothing new, and reads only the new entries when there is.
	 */
	sync(stored: unknown, nowSeconds: number): SyncResult {
		const result = this.syncEntries(stored, nowSeconds);
		if (result.newer || this.listedLive(stored, nowSeconds)) return result;
		// Peers route only to processes the store lists as live, and a process that passes every
		// event on records nothing: without this it would never be listed, and it and its peers
		// would each take events the other owns. Once per save grace, so a burst saves it once.
		if (this.announcedAt > nowSeconds - SAVE_GRACE_SECONDS) return result;
		this.announcedAt = nowSeconds;
		this.refreshView(nowSeconds);
		return { ...result, behind: true };
	}

	/**
	 * Whether peers reading `stored` take this process for a live one at its address, with half
	 * their liveness window to spare; true when it has no address (it is not routing).
	 */
	private listedLive(stored: unknown, nowSeconds: number): boolean {
		if (this.address === undefined) return true;
		const own = isRecord(stored) ? writersIn(stored, nowSeconds).get(this.writerId) : undefined;
		return own?.[2] === this.address && own[1] > nowSeconds - ADDRESS_REFRESH_SECONDS;
	}

	private syncEntries(stored: unknown, nowSeconds: number): SyncResult {
		const { format } = this;
		const revision = this.revisionBefore(nowSeconds - SAVE_GRACE_SECONDS);
		if (stored === undefined || stored === null) return { absorbed: 0, behind: revision > 0 };
		if (this.isNewer(stored)) {
			return {
				absorbed: 0,
				behind: false,
				newer: true,
				problem: `stored ${format.name} state has format ${String((stored as StoredEntryLog).v)}, newer than this release reads (${format.version})`,
			};
		}
		if (!isRecord(stored) || !format.readable.includes(stored.v)) {
			return {
				absorbed: 0,
				behind: true,
				problem: `stored ${format.name} state has an unknown format`,
			};
		}
		if (!Array.isArray(stored.buckets)) {
			return {
				absorbed: 0,
				behind: true,
				problem: `stored ${format.name} state has no bucket list`,
			};
		}
		const writers = writersIn(stored, nowSeconds);
		const own = writers.get(this.writerId)?.[0] ?? 0;
		// A writer quiet for longer than the retention has nothing left to give (prune forgets it):
		// a state that still lists it would otherwise be read whole at every sync.
		const quietSince =
			this.limits === undefined
				? Number.NEGATIVE_INFINITY
				: nowSeconds - this.limits.retentionSeconds;
		const news = [...writers].filter(
			([writer, [theirs, seenAt]]) =>
				writer !== this.writerId &&
				seenAt > quietSince &&
				theirs > (this.merged.get(writer)?.[0] ?? 0),
		);
		// A writer with no entries to read may still be newly seen, or seen again (see listedLive):
		// its liveness and address are taken in, as its revision stays what was read of it.
		let heard = false;
		for (const [writer, entry] of writers) {
			const known = this.merged.get(writer);
			if (
				writer !== this.writerId &&
				entry[1] > quietSince &&
				entry[0] === (known?.[0] ?? 0) &&
				entry[1] > (known?.[1] ?? Number.NEGATIVE_INFINITY)
			) {
				this.merged.set(writer, entry);
				heard = true;
			}
		}
		if (heard) this.refreshView(nowSeconds);
		// A previous format is read whole, and so is a writers list with entries this release
		// cannot read: it says nothing trustworthy about what is new, and its buckets must not go
		// unread (and then unsaved) for it.
		const isPrevious = stored.v !== format.version;
		const writersUnreadable = !isPrevious && !writersReadable(stored);
		if (!isPrevious && !writersUnreadable && news.length === 0) {
			return { absorbed: 0, behind: own < revision };
		}
		const { absorbed, unreadable } = this.merge(writerOf(stored.rev), stored.buckets);
		// Merged only when all was read: the same revisions may come again whole (a save of the
		// writer's, say), and must then be read.
		if (unreadable === 0) for (const [writer, entry] of news) this.merged.set(writer, entry);
		// Entries read from a previous format, or past an unreadable writers list, are known to no
		// writer: this one takes them over.
		if ((isPrevious || writersUnreadable) && absorbed > 0) this.bumpRevision(nowSeconds);
		this.sealEnded(nowSeconds);
		if (absorbed > 0 || news.length > 0) this.refreshView(nowSeconds);
		const behind = isPrevious || writersUnreadable || unreadable > 0 || own < revision;
		return unreadable === 0 && !writersUnreadable
			? { absorbed, behind }
			: {
					absorbed,
					behind,
					problem:
						unreadable > 0
							? `${unreadable} stored ${format.name} bucket(s) were unreadable`
							: `stored ${format.name} state has an unreadable writers list`,
				};
	}

	/** Whether stored state is of a format newer than this log writes (a later release's). */
	isNewer(stored: unknown): boolean {
		return (
			isRecord(stored) &&
			Number.isSafeInteger(stored.v) &&
			(stored.v as number) > this.format.version
		);
	}

	/** A problem with stored state that stays until fixed: due at most once an hour. */
	storedProblemDue(nowSeconds: number): boolean {
		return this.storedProblemNotice.due(nowSeconds);
	}

	private bumpRevision(nowSeconds: number) {
		this.revision++;
		const last = this.revisionTimes[this.revisionTimes.length - 1];
		if (last && last[0] >= nowSeconds) last[1] = this.revision;
		else this.revisionTimes.push([nowSeconds, this.revision]);
	}

	/** The newest revision made at or before `atSeconds`; forgets the times it no longer needs. */
	private revisionBefore(atSeconds: number): number {
		const times = this.revisionTimes;
		while (times.length > 1 && times[1][0] <= atSeconds) times.shift();
		return times.length > 0 && times[0][0] <= atSeconds ? times[0][1] : 0;
	}

	/** Every entry held outside sealed parts, oldest hour first. */
	*allEntries(): Generator<string> {
		const { entryChars } = this.format;
		for (const bucket of this.buckets) {
			const entries = this.unsealedOf(bucket);
			for (let at = 0; at < entries.length; at += entryChars) {
				yield entries.slice(at, at + entryChars);
			}
		}
	}

	/** Where this process is reachable; written with its next save for other processes. */
	locatedAt(address: string) {
		this.address = address;
	}

	/** Whether a sync at or after `nowSeconds` put this process's address into the view to save. */
	announcedSince(nowSeconds: number): boolean {
		return this.announcedAt >= nowSeconds;
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

	/** Drops entries older than the retention, then the oldest entries beyond the cap. */
	prune(nowSeconds: number, limits: EntryLimits): { expired: number; evicted: number } {
		this.limits = limits;
		const cutoff = nowSeconds - limits.retentionSeconds;
		let expired = 0;
		let evicted = 0;
		while (this.buckets.length > 0 && this.buckets[0][0] + BUCKET_SECONDS <= cutoff) {
			expired += this.dropOldest(Number.POSITIVE_INFINITY);
		}
		while (this.entries > limits.maxEntries) {
			evicted += this.dropOldest(this.entries - limits.maxEntries);
		}
		this.sealEnded(nowSeconds);
		// A writer quiet for longer than the retention has no entries left to merge.
		for (const [writer, [, seenAt]] of this.merged) {
			if (seenAt <= cutoff) {
				this.merged.delete(writer);
				this.mergedBuckets.delete(writer);
			}
		}
		if (expired + evicted > 0) this.refreshView(nowSeconds);
		return { expired, evicted };
	}

	/**
	 * The state to put into static data: always the same handle on the view, kept current as
	 * entries arrive. n8n serializes static data only when it saves, after the request, and parallel
	 * requests' saves land in any order; since each of them serializes this one object, whichever
	 * lands last carries every entry known when it was written, not just its own request's.
	 */
	persistent(): StoredEntryLog {
		return this.handle;
	}

	private refreshView(nowSeconds: number) {
		// Whole seconds: a reader drops a writer entry whose time is not an integer.
		this.lastSeenAt = Math.max(this.lastSeenAt, Math.floor(nowSeconds));
		this.view.rev = `${this.writerId}.${this.revision}`;
		const own: WriterEntry = [this.revision, this.lastSeenAt];
		if (this.address !== undefined) own.push(this.address);
		this.view.writers = Object.fromEntries([...this.merged, [this.writerId, own]]);
	}

	/**
	 * Absorbs the entries of `writer`'s buckets that follow what was merged from it last time.
	 * `buckets` is the writer's whole list or, with `more`, the next part of it (a first read's),
	 * which adds to what was merged instead of standing for all of it.
	 */
	private merge(writer: string | undefined, buckets: unknown[], more = false) {
		const { entryChars, bucketPattern } = this.format;
		const { sealed } = this.hooks;
		const previous =
			(writer !== undefined && this.mergedBuckets.get(writer)) || new Map<number, MergedBucket>();
		const current = more ? previous : new Map<number, MergedBucket>();
		let absorbed = 0;
		let unreadable = 0;
		for (const bucket of buckets) {
			const [start, text] = Array.isArray(bucket) ? bucket : [];
			const read = typeof text === 'string' ? splitBucket(text) : undefined;
			if (
				!Number.isSafeInteger(start) ||
				read === undefined ||
				(read.sealed !== undefined && sealed === undefined) ||
				read.entries.length % entryChars !== 0 ||
				!bucketPattern.test(read.entries)
			) {
				unreadable++;
				continue;
			}
			const before = previous.get(start);
			if (read.sealed !== undefined && sealed !== undefined && read.sealed !== before?.sealed) {
				const part = this.sealedParts.get(start);
				const result = sealed.absorb(read.sealed, part);
				if (result === undefined) {
					unreadable++;
					continue;
				}
				if (result.part !== part) this.setSealed(this.bucketAt(start), result.part);
				this.entries += (result.part?.count ?? 0) - (part?.count ?? 0);
				absorbed += result.absorbed;
			}
			current.set(start, read);
			const { entries } = read;
			for (
				let at = this.unreadFrom(before?.entries, entries);
				at < entries.length;
				at += entryChars
			) {
				const entry = entries.slice(at, at + entryChars);
				if (!this.hooks.absorb(entry, start as number)) continue;
				this.append(entry, start as number);
				absorbed++;
			}
		}
		if (writer !== undefined && writer !== this.writerId) this.mergedBuckets.set(writer, current);
		return { absorbed, unreadable };
	}

	/**
	 * Where the entries not merged yet start in a writer's bucket. When the bucket still has, at
	 * the same offset, the last entry read from it before, the writer only appended since; had it
	 * dropped entries from the front (or sealed them), another entry would stand there (bar a
	 * fingerprint collision).
	 */
	private unreadFrom(before: string | undefined, entries: string): number {
		const { entryChars } = this.format;
		if (before === undefined || before.length === 0 || entries.length < before.length) return 0;
		const last = before.length - entryChars;
		return entries.startsWith(before.slice(last), last) ? before.length : 0;
	}

	/** The entries of a bucket not in its sealed part. */
	private unsealedOf(bucket: [number, string]): string {
		const part = this.sealedParts.get(bucket[0]);
		return part === undefined ? bucket[1] : bucket[1].slice(part.code.length + 1);
	}

	/** Gives a bucket a new sealed part (or none), keeping the entries that follow it. */
	private setSealed(bucket: [number, string], part: SealedPart | undefined, entries?: string) {
		const rest = entries ?? this.unsealedOf(bucket);
		if (part === undefined) {
			this.sealedParts.delete(bucket[0]);
			bucket[1] = rest;
		} else {
			this.sealedParts.set(bucket[0], part);
			bucket[1] = `${part.code},${rest}`;
		}
	}

	/**
	 * Seals the entries of every bucket whose hour has ended; needs the limits of a prune. Looks
	 * only at the hours that ended since it last ran and at buckets that got late entries, so a
	 * delivery costs the same however many hours the store spans.
	 */
	private sealEnded(nowSeconds: number) {
		const { sealed } = this.hooks;
		const { limits } = this;
		if (sealed === undefined || limits === undefined) return;
		const lastEnded = bucketOf(nowSeconds) - BUCKET_SECONDS;
		if (lastEnded <= this.sealedUpTo && this.lateBuckets.size === 0) return;
		for (let at = this.buckets.length - 1; at >= 0; at--) {
			const bucket = this.buckets[at];
			if (bucket[0] <= this.sealedUpTo) break;
			if (bucket[0] <= lastEnded) this.seal(bucket, sealed, limits);
		}
		for (const start of this.lateBuckets) {
			const bucket = this.buckets.find(([hour]) => hour === start);
			if (bucket) this.seal(bucket, sealed, limits);
		}
		this.lateBuckets.clear();
		this.sealedUpTo = Math.max(this.sealedUpTo, lastEnded);
	}

	private seal(bucket: [number, string], sealed: SealedHooks, limits: EntryLimits) {
		const part = this.sealedParts.get(bucket[0]);
		// Sealed with nothing since: told without copying the bucket.
		if (part !== undefined && bucket[1].length === part.code.length + 1) return;
		const entries = this.unsealedOf(bucket);
		if (entries.length === 0) return;
		const next = sealed.seal(part, entries, limits);
		this.entries +=
			(next?.count ?? 0) - (part?.count ?? 0) - entries.length / this.format.entryChars;
		this.setSealed(bucket, next, '');
	}

	private append(entry: string, start: number) {
		this.bucketAt(start)[1] += entry;
		this.entries++;
		if (start <= this.sealedUpTo) this.lateBuckets.add(start);
	}

	/** The bucket for an hour; new entries almost always go to the newest, so look there first. */
	private bucketAt(start: number): [number, string] {
		let at = this.buckets.length;
		while (at > 0 && this.buckets[at - 1][0] > start) at--;
		if (at > 0 && this.buckets[at - 1][0] === start) return this.buckets[at - 1];
		const bucket: [number, string] = [start, ''];
		this.buckets.splice(at, 0, bucket);
		return bucket;
	}

	/**
	 * Removes up to `count` entries of the oldest bucket: those that arrived first among its
	 * unsealed ones, then what the owner picks from its sealed part. Returns how many went.
	 */
	private dropOldest(count: number): number {
		const { entryChars } = this.format;
		const bucket = this.buckets[0];
		const entries = this.unsealedOf(bucket);
		const dropChars = Math.min(entries.length, count * entryChars);
		for (let at = 0; at < dropChars; at += entryChars) {
			this.hooks.dropped(entries.slice(at, at + entryChars));
		}
		let dropped = dropChars / entryChars;
		let part = this.sealedParts.get(bucket[0]);
		const { sealed } = this.hooks;
		if (part !== undefined && sealed !== undefined && dropped < count) {
			const fromPart = Math.min(part.count, count - dropped);
			if (fromPart === part.count) {
				sealed.dropped(part);
				part = undefined;
			} else {
				part = sealed.evict(part, fromPart);
			}
			dropped += fromPart;
		}
		if (part === undefined && dropChars === entries.length) {
			this.sealedParts.delete(bucket[0]);
			this.buckets.shift();
		} else {
			this.setSealed(bucket, part, entries.slice(dropChars));
		}
		this.entries -= dropped;
		return dropped;
	}
}

/** A stored bucket string: its sealed part, if any, and the entries after it. */
function splitBucket(text: string): MergedBucket | undefined {
	const comma = text.indexOf(',');
	if (comma < 0) return { entries: text };
	const entries = text.slice(comma + 1);
	return entries.includes(',') ? undefined : { sealed: text.slice(0, comma), entries };
}

/** A warning worth repeating, but not for every delivery: due at most once an hour. */
export class HourlyNotice {
	private givenAt = Number.NEGATIVE_INFINITY;

	due(nowSeconds: number): boolean {
		if (nowSeconds - this.givenAt < BUCKET_SECONDS) return false;
		this.givenAt = nowSeconds;
		return true;
	}
}
