import { MAX_WIDTH, MIN_WIDTH, type Prefixes } from './prefixes';

/**
 * The compact form of an hour bucket whose hour has ended: its fingerprints cut to their first
 * `width` bits, sorted, and the gaps between them Rice-coded, then written 13 bits to every 2
 * characters of a 91-character alphabet (91² = 8281 ≥ 2^13). Sorted uniform values of `width`
 * bits, m of them, carry about width - log2(m) + 1.44 bits each, and Rice coding with the best
 * parameter comes within a few hundredths of a bit of that: with the width set by the cap (see
 * sealWidth) an id costs about 49 bits, 7.6 characters, where the open form spends 12.
 *
 * A sealed part is `*`, the width and the Rice parameter (an alphabet character each), the
 * count (4 alphabet characters, base 91), then the payload.
 */
const SEALED_MARK = '*';

/**
 * Printable ASCII but for `"` and `\` (JSON would escape them) and `,` (it ends a sealed part
 * in a stored bucket): each is one byte in static data.
 */
const ALPHABET = [...Array(94).keys()]
	.map((offset) => String.fromCharCode(0x21 + offset))
	.filter((char) => char !== '"' && char !== ',' && char !== '\\')
	.join('');
const BASE = ALPHABET.length;
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
const DIGITS = new Int8Array(128).fill(-1);
for (let digit = 0; digit < BASE; digit++) DIGITS[ALPHABET.charCodeAt(digit)] = digit;

const GROUP_BITS = 13;
/** Characters turned into a string at a time: spread arguments have a limit. */
const TEXT_CHUNK = 8192;
const GROUP_LIMIT = 1 << GROUP_BITS;
const COUNT_DIGITS = 4;
const HEADER_CHARS = 3 + COUNT_DIGITS;
const MAX_COUNT = BASE ** COUNT_DIGITS - 1;
const TWO_32 = 2 ** 32;

/** The gaps between sorted prefixes, as numbers of `width`-bit units (approximate past 2^53). */
function gapsOf({ pairs, count, width }: Prefixes): Float64Array {
	const shift = 64 - width;
	const gaps = new Float64Array(count);
	let previous = 0;
	for (let i = 0; i < count; i++) {
		const value = pairs[2 * i] * 2 ** (32 - shift) + pairs[2 * i + 1] / 2 ** shift;
		gaps[i] = value - previous;
		previous = value;
	}
	return gaps;
}

/** The Rice parameter that codes these gaps in the fewest bits. */
function riceParameter(prefixes: Prefixes): number {
	const gaps = gapsOf(prefixes);
	const mean = gaps.reduce((sum, gap) => sum + gap, 0) / Math.max(1, prefixes.count);
	const guess = Math.max(0, Math.min(63, Math.floor(Math.log2(Math.max(1, mean)))));
	let best = guess;
	let bestBits = Number.POSITIVE_INFINITY;
	for (let k = Math.max(0, guess - 1); k <= Math.min(63, guess + 1); k++) {
		let bits = prefixes.count * (k + 1);
		for (const gap of gaps) bits += Math.floor(gap / 2 ** k);
		if (bits < bestBits) {
			best = k;
			bestBits = bits;
		}
	}
	return best;
}

class GroupWriter {
	private out: Uint8Array;
	private length = 0;
	private group = 0;
	private filled = 0;

	constructor(expectedBits: number) {
		this.out = new Uint8Array(2 * Math.ceil(expectedBits / GROUP_BITS) + 16);
	}

	/** Writes the low `bits` bits of `value`, most significant first; `bits` <= 32. */
	write(value: number, bits: number) {
		let left = bits;
		while (left > 0) {
			const room = GROUP_BITS - this.filled;
			if (left >= room) {
				left -= room;
				this.group = (this.group << room) | ((value >>> left) & ((1 << room) - 1));
				this.emit();
			} else {
				this.group = (this.group << left) | (value & ((1 << left) - 1));
				this.filled += left;
				left = 0;
			}
		}
	}

	zeros(count: number) {
		let left = count;
		while (left > 0) {
			const taken = Math.min(left, GROUP_BITS - this.filled);
			this.group <<= taken;
			this.filled += taken;
			left -= taken;
			if (this.filled === GROUP_BITS) this.emit();
		}
	}

	finish(): string {
		if (this.filled > 0) this.write(0, GROUP_BITS - this.filled);
		let text = '';
		for (let at = 0; at < this.length; at += TEXT_CHUNK) {
			text += String.fromCharCode(...this.out.subarray(at, Math.min(this.length, at + TEXT_CHUNK)));
		}
		return text;
	}

	private emit() {
		if (this.length + 2 > this.out.length) {
			const grown = new Uint8Array(this.out.length * 2);
			grown.set(this.out);
			this.out = grown;
		}
		this.out[this.length++] = ALPHABET_CODES[(this.group / BASE) | 0];
		this.out[this.length++] = ALPHABET_CODES[this.group % BASE];
		this.group = 0;
		this.filled = 0;
	}
}

/** The sealed part holding these prefixes, which must be sorted and distinct (sortUnique). */
export function encodeSealed(prefixes: Prefixes): string {
	const { pairs, count, width } = prefixes;
	if (count > MAX_COUNT) throw new RangeError(`a sealed bucket holds at most ${MAX_COUNT} ids`);
	const k = riceParameter(prefixes);
	const writer = new GroupWriter(count * (width - Math.log2(Math.max(1, count)) + 2));
	const shift = 64 - width;
	let previousHigh = 0;
	let previousLow = 0;
	for (let i = 0; i < count; i++) {
		const hi = pairs[2 * i];
		const high = hi >>> shift;
		const low = ((hi << (32 - shift)) | (pairs[2 * i + 1] >>> shift)) >>> 0;
		const borrow = low < previousLow ? 1 : 0;
		const gapHigh = high - previousHigh - borrow;
		const gapLow = (low - previousLow + borrow * TWO_32) >>> 0;
		if (k >= 32) {
			const highBits = k - 32;
			writer.zeros(Math.floor(gapHigh / 2 ** highBits));
			writer.write(1, 1);
			writer.write(gapHigh % 2 ** highBits, highBits);
			writer.write(gapLow, 32);
		} else {
			writer.zeros(gapHigh * 2 ** (32 - k) + Math.floor(gapLow / 2 ** k));
			writer.write(1, 1);
			writer.write(gapLow % 2 ** k, k);
		}
		previousHigh = high;
		previousLow = low;
	}
	return SEALED_MARK + ALPHABET[width] + ALPHABET[k] + countDigitsOf(count) + writer.finish();
}

function countDigitsOf(count: number): string {
	let digits = '';
	for (let rest = count, i = 0; i < COUNT_DIGITS; i++, rest = Math.floor(rest / BASE)) {
		digits = ALPHABET[rest % BASE] + digits;
	}
	return digits;
}

function digitAt(code: string, at: number): number {
	const char = code.charCodeAt(at);
	return char < 128 ? DIGITS[char] : -1;
}

/**
 * How many ids a sealed part says it holds; undefined when its header is not one, or when its
 * payload could not hold that many (every id takes at least k + 1 bits): a forged count must not
 * size anything.
 */
export function sealedCount(code: string): number | undefined {
	if (code.length < HEADER_CHARS || code[0] !== SEALED_MARK) return undefined;
	let count = 0;
	for (let at = 3; at < HEADER_CHARS; at++) {
		const digit = digitAt(code, at);
		if (digit < 0) return undefined;
		count = count * BASE + digit;
	}
	const k = digitAt(code, 2);
	const bits = ((code.length - HEADER_CHARS) / 2) * GROUP_BITS;
	return k >= 0 && count * (k + 1) <= bits ? count : undefined;
}

/** A sealed part's prefixes, with where in its payload (in bits) each one's code starts. */
export interface DecodedPart extends Prefixes {
	starts: Uint32Array;
}

/** The payload's bits, 13 from every 2 characters, in 32-bit words; undefined for a bad character. */
function payloadWords(code: string): Uint32Array | undefined {
	const groups = (code.length - HEADER_CHARS) / 2;
	const words = new Uint32Array(((groups * GROUP_BITS) >>> 5) + 2);
	let word = 0;
	let pending = 0;
	let pendingBits = 0;
	for (let at = HEADER_CHARS; at < code.length; at += 2) {
		const first = code.charCodeAt(at);
		const second = code.charCodeAt(at + 1);
		const group = (first < 128 ? DIGITS[first] : -1) * BASE + (second < 128 ? DIGITS[second] : -1);
		if (first >= 128 || second >= 128 || DIGITS[first] < 0 || DIGITS[second] < 0) return undefined;
		if (group >= GROUP_LIMIT) return undefined;
		pendingBits += GROUP_BITS;
		if (pendingBits >= 32) {
			pendingBits -= 32;
			words[word++] = (pending << (GROUP_BITS - pendingBits)) | (group >>> pendingBits);
			pending = group & ((1 << pendingBits) - 1);
		} else {
			pending = (pending << GROUP_BITS) | group;
		}
	}
	if (pendingBits > 0) words[word] = pending << (32 - pendingBits);
	return words;
}

/** The 32 bits from `position` on. */
function windowAt(words: Uint32Array, position: number): number {
	const word = position >>> 5;
	const offset = position & 31;
	// Shifting by 32 shifts by nothing: the second shift makes the offset-0 case 0.
	return ((words[word] << offset) | ((words[word + 1] >>> 1) >>> (31 - offset))) >>> 0;
}

/**
 * The prefixes of a sealed part, or undefined when it is not a well-formed one: stored state
 * may have been damaged, and a bad bucket must cost only itself.
 */
export function decodeSealed(code: string): DecodedPart | undefined {
	// A count the payload cannot hold is damage (sealedCount).
	const count = sealedCount(code);
	const width = digitAt(code, 1);
	const k = digitAt(code, 2);
	if (count === undefined || width < MIN_WIDTH || width > MAX_WIDTH || k < 0 || k > 63) {
		return undefined;
	}
	const payloadChars = code.length - HEADER_CHARS;
	const bits = (payloadChars / 2) * GROUP_BITS;
	if (payloadChars % 2 !== 0) return undefined;
	const words = payloadWords(code);
	if (words === undefined) return undefined;
	const shift = 64 - width;
	const highLimit = 2 ** (width - 32);
	const highBits = k >= 32 ? k - 32 : 0;
	const highScale = 2 ** highBits;
	const lowBits = k >= 32 ? 32 : k;
	const lowScale = 2 ** lowBits;
	const pairs = new Uint32Array(2 * count);
	const starts = new Uint32Array(count);
	let position = 0;
	let high = 0;
	let low = 0;
	for (let i = 0; i < count; i++) {
		starts[i] = position;
		let quotient = 0;
		let window = windowAt(words, position);
		while (window === 0) {
			quotient += 32;
			position += 32;
			if (position > bits) return undefined;
			window = windowAt(words, position);
		}
		const zeros = Math.clz32(window);
		quotient += zeros;
		position += zeros + 1;
		let rest = 0;
		if (highBits > 0) {
			rest = windowAt(words, position) >>> (32 - highBits);
			position += highBits;
		}
		let fraction = 0;
		if (lowBits > 0) {
			const bitsRead = windowAt(words, position);
			fraction = lowBits === 32 ? bitsRead : bitsRead >>> (32 - lowBits);
			position += lowBits;
		}
		let gapHigh: number;
		let gapLow: number;
		if (k >= 32) {
			gapHigh = quotient * highScale + rest;
			gapLow = fraction;
		} else {
			const gap = quotient * lowScale + fraction;
			if (gap > Number.MAX_SAFE_INTEGER) return undefined;
			gapHigh = Math.floor(gap / TWO_32);
			gapLow = gap - gapHigh * TWO_32;
		}
		if (position > bits || (i > 0 && gapHigh === 0 && gapLow === 0)) return undefined;
		low += gapLow;
		if (low >= TWO_32) {
			low -= TWO_32;
			high += 1;
		}
		high += gapHigh;
		if (high >= highLimit) return undefined;
		pairs[2 * i] = (high << shift) | (low >>> (32 - shift));
		pairs[2 * i + 1] = low << shift;
	}
	// What follows the last id is padding: fewer bits than a group, all zero.
	if (bits - position >= GROUP_BITS) return undefined;
	if (position < bits) {
		const offset = position & 31;
		const rest =
			(words[position >>> 5] << offset) |
			(offset === 0 ? 0 : words[(position >>> 5) + 1] >>> (32 - offset));
		if (rest !== 0) return undefined;
	}
	return { pairs, count, width, starts };
}

/**
 * A sealed part without its ids from `keep` on (the greatest): its payload cut where the
 * first of them started, so nothing is coded again.
 */
export function truncateSealed(code: string, decoded: DecodedPart, keep: number): string {
	const end =
		keep < decoded.count ? decoded.starts[keep] : ((code.length - HEADER_CHARS) * GROUP_BITS) / 2;
	const whole = Math.floor(end / GROUP_BITS);
	let payload = code.slice(HEADER_CHARS, HEADER_CHARS + 2 * whole);
	const partialBits = end - whole * GROUP_BITS;
	if (partialBits > 0) {
		const at = HEADER_CHARS + 2 * whole;
		const group = digitAt(code, at) * BASE + digitAt(code, at + 1);
		const cut = (group >>> (GROUP_BITS - partialBits)) << (GROUP_BITS - partialBits);
		payload += ALPHABET[(cut / BASE) | 0] + ALPHABET[cut % BASE];
	}
	return code.slice(0, 3) + countDigitsOf(keep) + payload;
}
