import type { DedupeLimits } from './dedupeLedger';
import { fingerprint, FINGERPRINT_CHARS } from './fingerprint';
import { EntryLog } from './entryLog';
import { HourlyNotice } from './hourlyNotice';
import type { StoredEntryLog, SyncResult } from './storedState';
import { VERSION_TOKEN_CHARS } from '../protocol/objectVersion';

const VERSION_FORMAT_VERSION = 1;
/**
 * An entry: the object id's fingerprint, then the version it reached.
 * @internal Exported for the tests.
 */
export const VERSION_ENTRY_CHARS = FINGERPRINT_CHARS + VERSION_TOKEN_CHARS;
const TOKEN = /^[0-9a-z]+$/;

/** Buckets of object versions (see entryLog.ts for the rest). */
export type StoredVersionState = StoredEntryLog;

/**
 * Where an event stands against what this process knows of its object: older than a version
 * already accepted, about an object another event's delivery is under way for, or current
 * (as new as any accepted, or newer).
 */
export type VersionOrder = 'stale' | 'busy' | 'current';

/**
 * The greatest version accepted per object, for one trigger node, in one process; mirrored
 * into the workflow's static data like the dedupe store. Each accepted version is an entry in
 * the hour it was accepted in, so an object is forgotten once its newest version is older than
 * the retention; superseded entries age out the same way.
 */
export class VersionLedger {
	private readonly accepted = new Map<string, string>();
	/** How many entries the log holds per object: older versions stay until their hour goes. */
	private readonly entryCounts = new Map<string, number>();
	/** Objects whose newest version left while other entries of theirs stayed (see prune). */
	private readonly recount = new Set<string>();
	/**
	 * The version whose delivery is under way, per object: [token, when the hold lapses]. One
	 * at a time, so runs about an object never overlap while it is held. In memory only, as
	 * dedupe claims are, so a crash never leaves an object blocked.
	 */
	private readonly inFlight = new Map<string, [token: string, lapsesAt: number]>();
	private readonly log: EntryLog;
	private readonly unorderedNotice = new HourlyNotice();

	constructor(writerId: string) {
		this.log = new EntryLog(
			writerId,
			{
				version: VERSION_FORMAT_VERSION,
				readable: [VERSION_FORMAT_VERSION],
				entryChars: VERSION_ENTRY_CHARS,
				bucketPattern: /^[A-Za-z0-9_-]*$/,
				name: 'object version',
			},
			{
				absorb: (entry) => {
					const [print, token] = split(entry);
					if (!TOKEN.test(token)) return false;
					const known = this.accepted.get(print);
					if (known === token) return false;
					// An older version is kept too, in its own hour: the newer one may sit in an earlier
					// hour (accepted out of order, or read from a state past the retention) and leave
					// first, and then this one is the object's newest (see dropped).
					if (known === undefined || token > known) this.accepted.set(print, token);
					this.counted(print, 1);
					return true;
				},
				dropped: (entry) => {
					const [print, token] = split(entry);
					const left = this.counted(print, -1);
					if (this.accepted.get(print) !== token) return;
					// An object's older entries usually leave first, and its newest one takes it along. But
					// a newer version accepted in an earlier hour (by another process, events out of order)
					// leaves before the older ones accepted later: the newest of those is the object's now.
					if (left === 0) this.accepted.delete(print);
					else this.recount.add(print);
				},
			},
		);
	}

	/** Adds `by` to the object's entry count; returns the count. */
	private counted(print: string, by: number): number {
		const count = (this.entryCounts.get(print) ?? 0) + by;
		if (count > 0) this.entryCounts.set(print, count);
		else this.entryCounts.delete(print);
		return count;
	}

	/** Whether an object's delivery is under way: its state must stay in memory until it settles. */
	hasHolds(nowSeconds: number): boolean {
		for (const [, lapsesAt] of this.inFlight.values()) if (lapsesAt > nowSeconds) return true;
		return false;
	}

	/** Objects with a version on record. */
	get objects(): number {
		return this.accepted.size;
	}

	/** Versions on record, superseded ones included: what the stored state holds. */
	get entries(): number {
		return this.log.size;
	}

	/** The stored entry naming this object at this version: what hold() and settle() take. */
	static entryOf(objectId: string, token: string): string {
		return fingerprint(objectId) + token;
	}

	order(entry: string, nowSeconds: number): VersionOrder {
		const [print, token] = split(entry);
		const known = this.accepted.get(print);
		if (known !== undefined && token < known) return 'stale';
		const held = this.inFlight.get(print);
		return held !== undefined && held[1] > nowSeconds ? 'busy' : 'current';
	}

	/** Marks the object as under way at this version until settled, for at most `holdSeconds`. */
	hold(entry: string, nowSeconds: number, holdSeconds: number) {
		const [print, token] = split(entry);
		this.inFlight.set(print, [token, nowSeconds + holdSeconds]);
	}

	/** Ends a hold: the version moves the object forward when its delivery became safe. */
	settle(entry: string, nowSeconds: number, safe: boolean) {
		const [print, token] = split(entry);
		if (this.inFlight.get(print)?.[0] === token) this.inFlight.delete(print);
		if (!safe) return;
		const known = this.accepted.get(print);
		if (known !== undefined && known >= token) return;
		this.accepted.set(print, token);
		this.counted(print, 1);
		this.log.record(entry, nowSeconds);
	}

	/** See EntryLog.firstRead: takes in a large stored state without blocking n8n. */
	async firstRead(stored: unknown, pause: () => Promise<void>): Promise<void> {
		await this.log.firstRead(stored, pause);
	}

	get firstReadPending(): boolean {
		return this.log.firstReadPending;
	}

	/** See EntryLog.sync: merges what other processes saved, and tells whether to save again. */
	sync(stored: unknown, nowSeconds: number): SyncResult {
		return this.log.sync(stored, nowSeconds);
	}

	/**
	 * Drops versions accepted longer ago than the retention, the oldest beyond the cap, and
	 * lapsed holds. The cap is the dedupe store's: every entry is an accepted event, so this
	 * store reaches it only after the dedupe store, which warns.
	 */
	prune(nowSeconds: number, limits: DedupeLimits) {
		for (const [print, [, lapsesAt]] of this.inFlight) {
			if (lapsesAt <= nowSeconds) this.inFlight.delete(print);
		}
		this.log.prune(nowSeconds, {
			retentionSeconds: limits.retentionSeconds,
			maxEntries: limits.maxIds,
		});
		if (this.recount.size === 0) return;
		// Rare (see dropped): one pass over what is left finds those objects' newest versions.
		for (const print of this.recount) this.accepted.delete(print);
		for (const entry of this.log.allEntries()) {
			const [print, token] = split(entry);
			if (!this.recount.has(print)) continue;
			const known = this.accepted.get(print);
			if (known === undefined || token > known) this.accepted.set(print, token);
		}
		this.recount.clear();
	}

	/** Events that cannot be ordered run as usual; saying so once an hour is enough. */
	unorderedWarningDue(nowSeconds: number): boolean {
		return this.unorderedNotice.due(nowSeconds);
	}

	/** The state to put into static data (see EntryLog.persistent). */
	persistent(): StoredVersionState {
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

function split(entry: string): [print: string, token: string] {
	return [entry.slice(0, FINGERPRINT_CHARS), entry.slice(FINGERPRINT_CHARS)];
}
