import { BucketMerge } from './bucketMerge';
import { HourBuckets } from './hourBuckets';
import { HourlyNotice } from './hourlyNotice';
import { ADDRESS_REFRESH_SECONDS } from './peers';
import { Revisions } from './revisions';
import {
	bucketOf,
	inertHandle,
	isRecord,
	writerOf,
	writersIn,
	writersReadable,
	type EntryHooks,
	type EntryLimits,
	type EntryLogFormat,
	type StoredEntryLog,
	type SyncResult,
	type WriterEntry,
} from './storedState';
/**
 * How long this process's own entries may be missing from stored state before it counts as
 * behind: its saves are grouped (groupCommit.ts) and land when a run ends, so entries younger
 * than this are on their way, not overwritten.
 * @internal Exported for the tests.
 */
export const SAVE_GRACE_SECONDS = 5;
/**
 * How many characters of stored buckets a first read takes in per turn of the event loop (see
 * firstRead): about 3,000 ids, a millisecond or two. A request n8n serves meanwhile needs a dozen
 * turns or more (each database query is one), and waits behind one such slice at each of them.
 * @internal Exported for the tests.
 */
export const CHARS_PER_TURN = 24_000;

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
	private readonly hours: HourBuckets;
	private readonly revisions = new Revisions();
	/** Other writers: the newest revision merged from each, and when it was seen. */
	private readonly merged = new Map<string, WriterEntry>();
	private readonly read: BucketMerge;
	private reading?: Promise<void>;
	private readDone = false;
	private lastSeenAt = 0;
	private address?: string;
	/** When this state last put its address into the view to be saved (see listedLive). */
	private announcedAt = Number.NEGATIVE_INFINITY;
	private readonly view: StoredEntryLog;
	/** What n8n is given of the view (see inertHandle). */
	private readonly handle: StoredEntryLog;
	private readonly storedProblemNotice = new HourlyNotice();

	constructor(
		private readonly writerId: string,
		private readonly format: EntryLogFormat,
		hooks: EntryHooks,
	) {
		this.hours = new HourBuckets(format.entryChars, hooks);
		this.read = new BucketMerge(writerId, format, hooks, this.hours);
		const view: StoredEntryLog = {
			v: format.version,
			rev: `${writerId}.0`,
			writers: {},
			buckets: this.hours.list,
		};
		this.view = view;
		this.handle = inertHandle(view);
	}

	get size(): number {
		return this.hours.size;
	}

	/** Adds an entry this process made; the caller has checked it is news. */
	record(entry: string, nowSeconds: number) {
		this.hours.append(entry, bucketOf(nowSeconds));
		this.revisions.bump(nowSeconds);
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
		if (this.revisions.current > 0 || this.read.any) return;
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
					this.read.merge(writer, part, true);
					part = [];
					chars = 0;
					await pause();
				}
			}
			this.read.merge(writer, part, true);
			done = true;
		} finally {
			// Cut short: read again from the start next time; what was taken in is not taken twice.
			if (!done) this.read.forget(writer);
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
		const revision = this.revisions.before(nowSeconds - SAVE_GRACE_SECONDS);
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
			this.hours.limits === undefined
				? Number.NEGATIVE_INFINITY
				: nowSeconds - this.hours.limits.retentionSeconds;
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
		const { absorbed, unreadable } = this.read.merge(writerOf(stored.rev), stored.buckets);
		// Merged only when all was read: the same revisions may come again whole (a save of the
		// writer's, say), and must then be read.
		if (unreadable === 0) for (const [writer, entry] of news) this.merged.set(writer, entry);
		// Entries read from a previous format, or past an unreadable writers list, are known to no
		// writer: this one takes them over.
		if ((isPrevious || writersUnreadable) && absorbed > 0) this.revisions.bump(nowSeconds);
		this.hours.sealEnded(nowSeconds);
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

	/** Every entry held outside sealed parts, oldest hour first. */
	allEntries(): Generator<string> {
		return this.hours.allEntries();
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
		const { expired, evicted } = this.hours.prune(nowSeconds, limits);
		const cutoff = nowSeconds - limits.retentionSeconds;
		// A writer quiet for longer than the retention has no entries left to merge.
		for (const [writer, [, seenAt]] of this.merged) {
			if (seenAt <= cutoff) {
				this.merged.delete(writer);
				this.read.forget(writer);
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
		this.view.rev = `${this.writerId}.${this.revisions.current}`;
		const own: WriterEntry = [this.revisions.current, this.lastSeenAt];
		if (this.address !== undefined) own.push(this.address);
		this.view.writers = Object.fromEntries([...this.merged, [this.writerId, own]]);
	}
}
