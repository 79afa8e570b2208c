const TWO_24 = 2 ** 24;
const MIN_CAPACITY = 1024;
/** Linear probing stays a few slots per lookup up to here; a slot costs 8 bytes. */
const MAX_LOAD = 0.8;
const LOAD_AFTER_GROWTH = 0.6;

/**
 * A set of fingerprint prefixes of mixed widths, 33 to 63 bits: an id of a sealed bucket is
 * known by the prefix the bucket kept, one of an open bucket by 63 bits. Two prefixes match
 * when they agree on the shorter one's bits. One open-addressing table over 8-byte slots
 * `[first 32 bits, next bits]`, where a set bit just past its width marks how long the prefix
 * is: about 10 to 13 bytes per prefix, and a lookup at a million prefixes reads a few adjacent
 * slots. The first 32 bits place a prefix, so prefixes that could match probe the same run.
 */
export class PrefixSet {
	private slots = new Uint32Array(2 * MIN_CAPACITY);
	private capacity = MIN_CAPACITY;
	private count = 0;

	get size(): number {
		return this.count;
	}

	/** Whether a prefix in the set matches this one. */
	has(hi: number, lo: number, width: number): boolean {
		return this.find(hi, tagged(lo, width), false) >= 0;
	}

	/** Adds the prefix unless one in the set matches it; true when it was added. */
	add(hi: number, lo: number, width: number): boolean {
		if (this.count + 1 > this.capacity * MAX_LOAD) this.resize(this.count + 1);
		const tag = tagged(lo, width);
		const { slots, capacity } = this;
		let at = this.home(hi);
		while (slots[2 * at + 1] !== 0) {
			if (slots[2 * at] === hi && matches(slots[2 * at + 1], tag)) return false;
			at = at + 1 === capacity ? 0 : at + 1;
		}
		slots[2 * at] = hi;
		slots[2 * at + 1] = tag;
		this.count++;
		return true;
	}

	/** Removes exactly this prefix (same bits, same width); true when it was there. */
	delete(hi: number, lo: number, width: number): boolean {
		let hole = this.find(hi, tagged(lo, width), true);
		if (hole < 0) return false;
		const { slots, capacity } = this;
		// Backward shift: later slots of the run move up unless the hole lies before their home.
		for (let at = hole; ; ) {
			at = at + 1 === capacity ? 0 : at + 1;
			if (slots[2 * at + 1] === 0) break;
			const home = this.home(slots[2 * at]);
			const staysPut = hole < at ? hole < home && home <= at : hole < home || home <= at;
			if (staysPut) continue;
			slots[2 * hole] = slots[2 * at];
			slots[2 * hole + 1] = slots[2 * at + 1];
			hole = at;
		}
		slots[2 * hole] = 0;
		slots[2 * hole + 1] = 0;
		this.count--;
		return true;
	}

	/** Makes room for `total` prefixes at once, so a restart does not grow the table step by step. */
	reserve(total: number) {
		if (total > this.capacity * MAX_LOAD) this.resize(total);
	}

	private find(hi: number, tag: number, exact: boolean): number {
		const { slots, capacity } = this;
		for (let at = this.home(hi); slots[2 * at + 1] !== 0; at = at + 1 === capacity ? 0 : at + 1) {
			if (slots[2 * at] !== hi) continue;
			const stored = slots[2 * at + 1];
			if (exact ? stored === tag : matches(stored, tag)) return at;
		}
		return -1;
	}

	private home(hi: number): number {
		return Math.floor(((hi >>> 8) * this.capacity) / TWO_24);
	}

	private resize(needed: number) {
		const old = this.slots;
		this.capacity = Math.max(MIN_CAPACITY, Math.ceil(needed / LOAD_AFTER_GROWTH));
		this.slots = new Uint32Array(2 * this.capacity);
		const { slots, capacity } = this;
		for (let from = 0; from < old.length; from += 2) {
			if (old[from + 1] === 0) continue;
			let at = this.home(old[from]);
			while (slots[2 * at + 1] !== 0) at = at + 1 === capacity ? 0 : at + 1;
			slots[2 * at] = old[from];
			slots[2 * at + 1] = old[from + 1];
		}
	}
}

/** The second half cut to the width, with the bit just past it set: never 0, so 0 is a free slot. */
function tagged(lo: number, width: number): number {
	const mark = 1 << (63 - width);
	return ((lo & ~((mark << 1) - 1)) | mark) >>> 0;
}

/** Two tagged second halves (of equal first halves) agree on the shorter prefix's bits. */
function matches(a: number, b: number): boolean {
	const mark = Math.max(a & -a, b & -b);
	return ((a ^ b) & -(mark * 2)) === 0;
}
