import type { HourBuckets } from './hourBuckets';
import {
	splitBucket,
	type EntryHooks,
	type EntryLogFormat,
	type MergedBucket,
} from './storedState';

/**
 * What an entry log has read of other writers' buckets. A writer only appends to a bucket or
 * drops entries from its front, so keeping, per writer, the bucket strings last merged from its
 * state lets the next merge read only what follows them.
 */
export class BucketMerge {
	private readonly byWriter = new Map<string, Map<number, MergedBucket>>();

	constructor(
		/** The log's own writer: its buckets are never remembered, as it wrote them itself. */
		private readonly ownWriter: string,
		private readonly format: EntryLogFormat,
		private readonly hooks: EntryHooks,
		private readonly hours: HourBuckets,
	) {}

	/** Whether anything was merged from another writer yet. */
	get any(): boolean {
		return this.byWriter.size > 0;
	}

	/** Reads `writer`'s buckets from the start next time. */
	forget(writer: string) {
		this.byWriter.delete(writer);
	}

	/**
	 * Absorbs the entries of `writer`'s buckets that follow what was merged from it last time.
	 * `buckets` is the writer's whole list or, with `more`, the next part of it (a first read's),
	 * which adds to what was merged instead of standing for all of it.
	 */
	merge(writer: string | undefined, buckets: unknown[], more = false) {
		const { entryChars, bucketPattern } = this.format;
		const { sealed } = this.hooks;
		const previous =
			(writer !== undefined && this.byWriter.get(writer)) || new Map<number, MergedBucket>();
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
				const news = this.hours.absorbSealed(start as number, read.sealed, sealed);
				if (news === undefined) {
					unreadable++;
					continue;
				}
				absorbed += news;
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
				this.hours.append(entry, start as number);
				absorbed++;
			}
		}
		if (writer !== undefined && writer !== this.ownWriter) this.byWriter.set(writer, current);
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
}
