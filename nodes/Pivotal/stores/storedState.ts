import { isPeerAddress } from './peers';

/**
 * The stored state of an entry log (stores/FORMAT.md), and how it is read: what a writer entry,
 * a bucket and a sealed part look like, and the hooks by which a log's owner gives its entries
 * their meaning.
 */

/** Entries are grouped by the hour they arrived in, so ageing out drops whole groups. */
export const BUCKET_SECONDS = 3600;

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
export interface MergedBucket {
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

export function writerOf(rev: unknown): string | undefined {
	return typeof rev === 'string' && rev.includes('.')
		? rev.slice(0, rev.lastIndexOf('.'))
		: undefined;
}

/** Whether every entry of a stored state's writers list can be read. */
export function writersReadable(state: Record<string, unknown>): boolean {
	return (
		isRecord(state.writers) &&
		writersIn(state, Number.POSITIVE_INFINITY).size === Object.keys(state.writers).length
	);
}

/**
 * The writers a stored state lists. A time ahead of `nowSeconds` (another process's clock, or
 * a forged value) counts as now, so no entry stays live, or escapes pruning, for ever.
 */
export function writersIn(
	state: Record<string, unknown>,
	nowSeconds: number,
): Map<string, WriterEntry> {
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

/** A stored bucket string: its sealed part, if any, and the entries after it. */
export function splitBucket(text: string): MergedBucket | undefined {
	const comma = text.indexOf(',');
	if (comma < 0) return { entries: text };
	const entries = text.slice(comma + 1);
	return entries.includes(',') ? undefined : { sealed: text.slice(0, comma), entries };
}

/**
 * What n8n is given of a log's view. n8n wraps every object it finds in static data in a proxy,
 * in place, each time it builds a Workflow over it, and n8n 1.x wraps one already wrapped again:
 * handed the view itself, the live buckets would pile up proxies, one more for each run that
 * carries the store, and every read or save would walk through all of them. The handle's one
 * enumerable field is a number, so n8n finds nothing to wrap; it is read through getters, and
 * serialized (n8n's deepCopy too takes toJSON's result) as a copy of the view's arrays, which
 * share its strings.
 */
export function inertHandle(view: StoredEntryLog): StoredEntryLog {
	return Object.defineProperties(
		{ v: view.v },
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
