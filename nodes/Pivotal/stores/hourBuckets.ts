import {
	BUCKET_SECONDS,
	bucketOf,
	type EntryHooks,
	type EntryLimits,
	type SealedHooks,
	type SealedPart,
} from './storedState';

/**
 * The entries an entry log holds, in hour buckets, oldest first: appended, sealed once their
 * hour has ended, dropped oldest first. The bucket pairs are the very ones the log's stored view
 * lists, so an entry costs one string append and the view never has to be rebuilt.
 */
export class HourBuckets {
	readonly list: Array<[number, string]> = [];
	/** The sealed part of each bucket that has one, by hour start. */
	private readonly sealedParts = new Map<number, SealedPart>();
	/** The limits of the last prune: sealing cuts entries to what the cap needs. */
	private pruneLimits?: EntryLimits;
	private entries = 0;
	/** Every bucket up to this hour is sealed, but for those in lateBuckets (see sealEnded). */
	private sealedUpTo = Number.NEGATIVE_INFINITY;
	private readonly lateBuckets = new Set<number>();

	constructor(
		private readonly entryChars: number,
		private readonly hooks: EntryHooks,
	) {}

	get size(): number {
		return this.entries;
	}

	get limits(): EntryLimits | undefined {
		return this.pruneLimits;
	}

	/** Every entry held outside sealed parts, oldest hour first. */
	*allEntries(): Generator<string> {
		const { entryChars } = this;
		for (const bucket of this.list) {
			const entries = this.unsealedOf(bucket);
			for (let at = 0; at < entries.length; at += entryChars) {
				yield entries.slice(at, at + entryChars);
			}
		}
	}

	append(entry: string, start: number) {
		this.bucketAt(start)[1] += entry;
		this.entries++;
		if (start <= this.sealedUpTo) this.lateBuckets.add(start);
	}

	/**
	 * Another state's sealed part of the bucket at `start`: the owner takes in what it lacks.
	 * Returns how many entries were news, or undefined when the code is unreadable.
	 */
	absorbSealed(start: number, code: string, sealed: SealedHooks): number | undefined {
		const part = this.sealedParts.get(start);
		const result = sealed.absorb(code, part);
		if (result === undefined) return undefined;
		if (result.part !== part) this.setSealed(this.bucketAt(start), result.part);
		this.entries += (result.part?.count ?? 0) - (part?.count ?? 0);
		return result.absorbed;
	}

	/** Drops entries older than the retention, then the oldest entries beyond the cap. */
	prune(nowSeconds: number, limits: EntryLimits): { expired: number; evicted: number } {
		this.pruneLimits = limits;
		const cutoff = nowSeconds - limits.retentionSeconds;
		let expired = 0;
		let evicted = 0;
		while (this.list.length > 0 && this.list[0][0] + BUCKET_SECONDS <= cutoff) {
			expired += this.dropOldest(Number.POSITIVE_INFINITY);
		}
		while (this.entries > limits.maxEntries) {
			evicted += this.dropOldest(this.entries - limits.maxEntries);
		}
		this.sealEnded(nowSeconds);
		return { expired, evicted };
	}

	/**
	 * Seals the entries of every bucket whose hour has ended; needs the limits of a prune. Looks
	 * only at the hours that ended since it last ran and at buckets that got late entries, so a
	 * delivery costs the same however many hours the store spans.
	 */
	sealEnded(nowSeconds: number) {
		const { sealed } = this.hooks;
		const limits = this.pruneLimits;
		if (sealed === undefined || limits === undefined) return;
		const lastEnded = bucketOf(nowSeconds) - BUCKET_SECONDS;
		if (lastEnded <= this.sealedUpTo && this.lateBuckets.size === 0) return;
		for (let at = this.list.length - 1; at >= 0; at--) {
			const bucket = this.list[at];
			if (bucket[0] <= this.sealedUpTo) break;
			if (bucket[0] <= lastEnded) this.seal(bucket, sealed, limits);
		}
		for (const start of this.lateBuckets) {
			const bucket = this.list.find(([hour]) => hour === start);
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
		this.entries += (next?.count ?? 0) - (part?.count ?? 0) - entries.length / this.entryChars;
		this.setSealed(bucket, next, '');
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

	/** The bucket for an hour; new entries almost always go to the newest, so look there first. */
	private bucketAt(start: number): [number, string] {
		let at = this.list.length;
		while (at > 0 && this.list[at - 1][0] > start) at--;
		if (at > 0 && this.list[at - 1][0] === start) return this.list[at - 1];
		const bucket: [number, string] = [start, ''];
		this.list.splice(at, 0, bucket);
		return bucket;
	}

	/**
	 * Removes up to `count` entries of the oldest bucket: those that arrived first among its
	 * unsealed ones, then what the owner picks from its sealed part. Returns how many went.
	 */
	private dropOldest(count: number): number {
		const { entryChars } = this;
		const bucket = this.list[0];
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
			this.list.shift();
		} else {
			this.setSealed(bucket, part, entries.slice(dropChars));
		}
		this.entries -= dropped;
		return dropped;
	}
}
