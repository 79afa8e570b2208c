/**
 * Fingerprint prefixes, the form sealed buckets keep ids in (sealedBucket.ts) and the in-memory
 * index holds them in (prefixSet.ts): how wide they must be for a cap, and how they are sorted.
 */

/**
 * Widths are over 32 bits, so a prefix always fills the first of its two 32-bit halves, and
 * under 64, so the second half has room for the bit that marks where it ends (prefixSet.ts).
 */
export const MIN_WIDTH = 33;
export const MAX_WIDTH = 63;
/**
 * Every stored id may collide with a new one with probability 2^-width, so with
 * width >= log2(cap) + 40 a new event is taken for a duplicate with probability at most
 * cap · 2^-width <= 2^-40 ≈ 9.1e-13, whatever the cap: 1e5 · 2^-57 ≈ 6.9e-13 at the default
 * 100,000 ids, 1e6 · 2^-60 ≈ 8.7e-13 at the node's largest cap. Open buckets are compared on 63
 * bits, which is finer than any sealed width up to a cap of 2^23.
 */
const FALSE_DUPLICATE_BITS = 40;

export function sealWidth(maxEntries: number): number {
	const wanted = Math.ceil(Math.log2(Math.max(1, maxEntries)) + FALSE_DUPLICATE_BITS);
	return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, wanted));
}

/**
 * Fingerprint prefixes as pairs of 32-bit halves, `[hi0, lo0, hi1, lo1, ...]`, left-aligned:
 * the bits of `lo` past the width are zero.
 */
export interface Prefixes {
	pairs: Uint32Array;
	count: number;
	width: number;
}

/** Clears the bits of a second half that lie past `width`. */
export function cutLow(lo: number, width: number): number {
	return (lo & -(2 ** (64 - width))) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Sorts the first `count` pairs, cut to `width`, and drops repeats; returns how many are left.
 * The native sort of 64-bit integers does it without building a BigInt per value.
 */
export function sortUnique(pairs: Uint32Array, count: number, width: number): number {
	const keys = new BigUint64Array(count);
	const halves = new Uint32Array(keys.buffer);
	const hiAt = LITTLE_ENDIAN ? 1 : 0;
	const loAt = 1 - hiAt;
	for (let i = 0; i < count; i++) {
		halves[2 * i + hiAt] = pairs[2 * i];
		halves[2 * i + loAt] = cutLow(pairs[2 * i + 1], width);
	}
	keys.sort();
	let kept = 0;
	for (let i = 0; i < count; i++) {
		const hi = halves[2 * i + hiAt];
		const lo = halves[2 * i + loAt];
		if (kept > 0 && pairs[2 * kept - 2] === hi && pairs[2 * kept - 1] === lo) continue;
		pairs[2 * kept] = hi;
		pairs[2 * kept + 1] = lo;
		kept++;
	}
	return kept;
}
