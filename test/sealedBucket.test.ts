import { createHash } from 'node:crypto';

import { MAX_RESERVED_IDS, storedCount } from '../nodes/Pivotal/stores/dedupeLedger';
import { PrefixSet } from '../nodes/Pivotal/stores/prefixSet';
import {
	cutLow,
	MAX_WIDTH,
	MIN_WIDTH,
	sealWidth,
	sortUnique,
	type Prefixes,
} from '../nodes/Pivotal/stores/prefixes';
import {
	decodeSealed,
	encodeSealed,
	sealedCount,
	truncateSealed,
} from '../nodes/Pivotal/stores/sealedBucket';

/** mulberry32: the same "random" sets on every run. */
function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
	};
}

function randomSet(random: () => number, count: number, width: number): Prefixes {
	const pairs = new Uint32Array(2 * count);
	for (let i = 0; i < 2 * count; i++) pairs[i] = Math.floor(random() * 2 ** 32);
	return { pairs, count: sortUnique(pairs, count, width), width };
}

function valuesOf({ pairs, count }: Prefixes): string[] {
	return Array.from({ length: count }, (_, i) => `${pairs[2 * i]}:${pairs[2 * i + 1]}`);
}

describe('sealed bucket codec', () => {
	it('a sealed bucket decodes to the same set it encoded', () => {
		const random = seededRandom(11);
		const highest = (width: number) => ({
			pairs: Uint32Array.of(0xffffffff, (0xffffffff << (64 - width)) >>> 0),
			count: 1,
			width,
		});
		const sets: Prefixes[] = [
			{ pairs: new Uint32Array(0), count: 0, width: 57 },
			{ pairs: Uint32Array.of(0, 0), count: 1, width: 57 },
			{ pairs: Uint32Array.of(0, 0, 0, 2 ** 31), count: 2, width: MIN_WIDTH },
			highest(MIN_WIDTH),
			highest(57),
			highest(MAX_WIDTH),
		];
		for (const width of [MIN_WIDTH, 50, 57, 60, MAX_WIDTH]) {
			for (const count of [1, 2, 7, 600, 6000]) sets.push(randomSet(random, count, width));
		}
		// Dense runs: consecutive values, gaps of one unit.
		const dense = new Uint32Array(2 * 500);
		for (let i = 0; i < 500; i++) dense[2 * i + 1] = (i << 1) >>> 0;
		sets.push({ pairs: dense, count: 500, width: MAX_WIDTH });
		for (const set of sets) {
			const decoded = decodeSealed(encodeSealed(set));
			expect(decoded).toBeDefined();
			expect(decoded?.width).toBe(set.width);
			expect(valuesOf(decoded as Prefixes)).toEqual(valuesOf(set));
		}
	});

	it('keeps each value to the width it is cut to, repeats once', () => {
		const pairs = Uint32Array.of(5, 0xffffffff, 5, 0xfffffffe, 4, 1);
		expect(sortUnique(pairs, 3, 33)).toBe(2);
		expect(Array.from(pairs.subarray(0, 4))).toEqual([4, 0, 5, 2 ** 31]);
	});

	it('costs under 7.6 characters per id for a full bucket at the default cap', () => {
		const set = randomSet(seededRandom(3), 596, sealWidth(100_000));
		expect(encodeSealed(set).length / set.count).toBeLessThan(7.6);
	});

	it('chooses the width from the cap: log2(cap) + 40 bits, within bounds', () => {
		expect(sealWidth(100_000)).toBe(57);
		expect(sealWidth(1_000_000)).toBe(60);
		expect(sealWidth(2 ** 17)).toBe(57);
		expect(sealWidth(1)).toBe(40);
		expect(sealWidth(2 ** 40)).toBe(MAX_WIDTH);
	});

	it('cuts the greatest ids off without coding the rest again', () => {
		const set = randomSet(seededRandom(5), 1000, 57);
		const code = encodeSealed(set);
		const decoded = decodeSealed(code);
		if (decoded === undefined) throw new Error('unreadable');
		for (const keep of [999, 500, 1]) {
			const cut = decodeSealed(truncateSealed(code, decoded, keep));
			expect(cut && valuesOf(cut)).toEqual(valuesOf(set).slice(0, keep));
		}
	});

	it('rejects damaged codes rather than reading wrong ids', () => {
		const code = encodeSealed(randomSet(seededRandom(7), 300, 57));
		const damaged = [
			'',
			'*',
			code.slice(0, -2),
			`${code}!!`,
			`${code.slice(0, 20)}"${code.slice(21)}`,
			`${code.slice(0, 3)}~~~~${code.slice(7)}`,
			`*${String.fromCharCode(0x21 + 70)}${code.slice(2)}`,
			`${code.slice(0, 30)}\u00e9${code.slice(31)}`,
		];
		for (const text of damaged) expect(decodeSealed(text)).toBeUndefined();
	});

	it('believes no count its payload cannot hold, so a forged header sizes nothing', () => {
		const code = encodeSealed(randomSet(seededRandom(9), 300, 57));
		expect(sealedCount(code)).toBe(300);
		// The largest count the header can say, over the same payload.
		const forged = `${code.slice(0, 3)}~~~~${code.slice(7)}`;
		expect(sealedCount(forged)).toBeUndefined();
		const hour = 1_780_000_000;
		const stored = { v: 3, rev: 'x.1', writers: {}, buckets: [[hour, `${forged},`]] };
		expect(storedCount(stored)).toBe(0);
		const many = Array.from({ length: 2000 }, (_, i) => [hour + i * 3600, `${code},`]);
		expect(storedCount({ ...stored, buckets: many })).toBe(600_000);
		const more = Array.from({ length: 8000 }, (_, i) => [hour + i * 3600, `${code},`]);
		expect(storedCount({ ...stored, buckets: more })).toBe(MAX_RESERVED_IDS);
	});

	it('false duplicates stay within the stated bound, count·2^-width per new id: counted at width 33, made small on purpose', () => {
		// Fingerprints are SHA-256 bits, uniform: seeded random prefixes stand for them.
		const width = MIN_WIDTH;
		const sealed = decodeSealed(encodeSealed(randomSet(seededRandom(21), 2 ** 18, width)));
		if (sealed === undefined) throw new Error('unreadable');
		const index = new PrefixSet();
		index.reserve(sealed.count);
		for (let i = 0; i < sealed.count; i++) {
			index.add(sealed.pairs[2 * i], sealed.pairs[2 * i + 1], width);
		}
		// New ids from SHA-256 in counter mode, independent of the stored ones (two mulberry32
		// streams of nearby seeds are not: they gave 78 here where 32 are expected).
		const probes = 2 ** 20;
		let falseDuplicates = 0;
		for (let block = 0; block < probes / 4; block++) {
			const bits = createHash('sha256').update(`new ids ${block}`).digest();
			for (let at = 0; at < 32; at += 8) {
				// A new id is compared on 63 bits, as an open bucket's are.
				const lo = cutLow(bits.readUInt32BE(at + 4), MAX_WIDTH);
				if (index.has(bits.readUInt32BE(at), lo, MAX_WIDTH)) falseDuplicates++;
			}
		}
		const expected = probes * sealed.count * 2 ** -width;
		// 32 expected; these ids give 34, well within four standard deviations.
		expect(Math.abs(falseDuplicates - expected)).toBeLessThanOrEqual(4 * Math.sqrt(expected));
		expect(falseDuplicates).toBe(34);
	});
});
