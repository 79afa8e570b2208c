import { BUCKET_SECONDS, DedupeLedger } from '../nodes/Pivotal/stores/dedupeLedger';
import { fingerprint } from '../nodes/Pivotal/stores/fingerprint';
import { CHARS_PER_TURN, SAVE_GRACE_SECONDS } from '../nodes/Pivotal/stores/entryLog';
import type { StoredEntryLog } from '../nodes/Pivotal/stores/storedState';

const DAY = 86_400;
const HOUR = BUCKET_SECONDS;
/** At the start of an hour, so "the hour has ended" is plain to read below. */
const NOW = Math.floor(1_780_000_000 / HOUR) * HOUR;
const WEEK = { retentionSeconds: 7 * DAY, maxIds: 100_000 };

function persisted(state: StoredEntryLog): StoredEntryLog {
	return JSON.parse(JSON.stringify(state)) as StoredEntryLog;
}

/** `ids` ids spread evenly over the 168 hours before NOW's hour, as the bench seeds a store. */
function filledOverAWeek(ledger: DedupeLedger, ids: number, name = 'evt') {
	const firstHour = NOW - 168 * HOUR;
	for (let i = 0; i < ids; i++) {
		ledger.add(`${name}_${i}`, firstHour + Math.floor((i * 168) / ids) * HOUR);
	}
}

/** The pauses a first read of `state` makes: one each time the buckets read reach CHARS_PER_TURN characters. */
function pausesToRead(state: StoredEntryLog): number {
	let chars = 0;
	let pauses = 0;
	for (const [, text] of state.buckets) {
		chars += text.length;
		if (chars >= CHARS_PER_TURN) {
			pauses++;
			chars = 0;
		}
	}
	return pauses;
}

function isSealed([, text]: [number, string]): boolean {
	return text.startsWith('*');
}

describe('DedupeLedger with sealed buckets (format 3)', () => {
	it('keeps at most 8 bytes of static data per id at 100,000 ids over 7 days', () => {
		const ledger = new DedupeLedger('w1');
		filledOverAWeek(ledger, 100_000);
		ledger.prune(NOW, WEEK);
		expect(ledger.size).toBe(100_000);
		const bytes = JSON.stringify(ledger.persistent()).length;
		expect(bytes / ledger.size).toBeLessThanOrEqual(8);
		expect(ledger.persistent().buckets.filter(isSealed)).toHaveLength(168);
	});

	it('reads a large store after a restart in turns, then the sync finds nothing left to read', async () => {
		const before = new DedupeLedger('w1');
		filledOverAWeek(before, 20_000);
		before.add('evt_now', NOW + 5);
		before.prune(NOW + 10, WEEK);
		const stored = persisted(before.persistent());
		const restarted = new DedupeLedger('w2');
		let turns = 0;
		let heldAtFirstTurn = -1;
		await restarted.firstRead(stored, async () => {
			if (turns++ === 0) heldAtFirstTurn = restarted.size;
		});
		// About CHARS_PER_TURN characters of buckets at a time: other requests are served in between.
		expect(turns).toBe(pausesToRead(stored));
		expect(turns).toBeGreaterThanOrEqual(3);
		expect(heldAtFirstTurn).toBeGreaterThan(0);
		expect(heldAtFirstTurn).toBeLessThan(20_001);
		expect(restarted.size).toBe(20_001);
		expect(restarted.sync(stored, NOW + 11)).toEqual({ absorbed: 0, behind: false });
		expect(restarted.has('evt_0') && restarted.has('evt_19999') && restarted.has('evt_now')).toBe(
			true,
		);
		// Asked again (the next request), it is done: nothing is read twice.
		await restarted.firstRead(stored, async () => {
			turns++;
		});
		expect(turns).toBe(pausesToRead(stored));
	});

	it('keeps an hour open while it lasts and seals it once it has ended', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_1', NOW + 10);
		ledger.prune(NOW + HOUR - 1, WEEK);
		expect(ledger.persistent().buckets).toEqual([[NOW, fingerprint('evt_1')]]);
		ledger.prune(NOW + HOUR, WEEK);
		expect(ledger.persistent().buckets.every(isSealed)).toBe(true);
		expect(ledger.has('evt_1')).toBe(true);
	});

	it('survives a restart through sealed buckets without losing an id', () => {
		const before = new DedupeLedger('before');
		filledOverAWeek(before, 5_000);
		before.prune(NOW, WEEK);
		const after = new DedupeLedger('after');
		expect(after.sync(persisted(before.persistent()), NOW)).toEqual({
			absorbed: 5_000,
			behind: false,
		});
		for (let i = 0; i < 5_000; i++) expect(after.has(`evt_${i}`)).toBe(true);
		expect(after.size).toBe(5_000);
	});

	it('an id never recorded is new (no false duplicate among 20,000 random ids)', () => {
		const ledger = new DedupeLedger('w1');
		filledOverAWeek(ledger, 20_000);
		ledger.prune(NOW, { retentionSeconds: 7 * DAY, maxIds: 20_000 });
		const restarted = new DedupeLedger('w2');
		restarted.sync(persisted(ledger.persistent()), NOW);
		for (let i = 0; i < 20_000; i++) {
			expect(restarted.claim(`never_${i}`, NOW, 60)).toBe('new');
		}
	});

	it('reads a v2 state without losing an id, seals its ended hours and asks to save', () => {
		const hours = [NOW - 3 * HOUR, NOW - HOUR, NOW];
		const ids = hours.flatMap((hour, h) =>
			Array.from({ length: 50 }, (_, i) => [`evt_${h}_${i}`, hour] as const),
		);
		const previous = {
			v: 2,
			rev: 'old.150',
			writers: { old: [150, NOW] },
			buckets: hours.map((hour) => [
				hour,
				ids
					.filter(([, at]) => at === hour)
					.map(([id]) => fingerprint(id))
					.join(''),
			]),
		};
		const ledger = new DedupeLedger('new');
		ledger.prune(NOW, WEEK);
		expect(ledger.sync(previous, NOW)).toEqual({ absorbed: 150, behind: true });
		for (const [id] of ids) expect(ledger.has(id)).toBe(true);
		const rewritten = persisted(ledger.persistent());
		expect(rewritten.v).toBe(3);
		expect(rewritten.buckets.map(isSealed)).toEqual([true, true, false]);
		const other = new DedupeLedger('other');
		expect(other.sync(rewritten, NOW).absorbed).toBe(150);
		for (const [id] of ids) expect(other.has(id)).toBe(true);
	});

	it('a late id for a sealed hour is kept after the bucket is sealed again', () => {
		const ledger = new DedupeLedger('w1');
		for (let i = 0; i < 100; i++) ledger.add(`evt_${i}`, NOW - HOUR);
		ledger.prune(NOW, WEEK);
		const sealedBefore = ledger.persistent().buckets[0][1];
		expect(ledger.add('evt_late', NOW - HOUR + 5)).toBe(true);
		// Until the next prune it waits after the sealed part, in the open form.
		expect(ledger.persistent().buckets[0][1]).toBe(sealedBefore + fingerprint('evt_late'));
		ledger.prune(NOW + 1, WEEK);
		const [[start, resealed]] = ledger.persistent().buckets;
		expect(start).toBe(NOW - HOUR);
		expect(resealed.endsWith(',')).toBe(true);
		const restarted = new DedupeLedger('w2');
		expect(restarted.sync(persisted(ledger.persistent()), NOW + 1).absorbed).toBe(101);
		expect(restarted.has('evt_late')).toBe(true);
		expect(restarted.has('evt_0')).toBe(true);
	});

	it("two processes' sealed buckets merge to the union", () => {
		const a = new DedupeLedger('a');
		const b = new DedupeLedger('b');
		for (let i = 0; i < 300; i++) {
			a.add(`evt_a_${i}`, NOW - HOUR + i);
			b.add(`evt_b_${i}`, NOW - HOUR + i);
		}
		a.add('evt_both', NOW - HOUR);
		b.add('evt_both', NOW - HOUR);
		a.prune(NOW, WEEK);
		b.prune(NOW, WEEK);
		const later = NOW + SAVE_GRACE_SECONDS;
		expect(a.sync(persisted(b.persistent()), later)).toEqual({ absorbed: 300, behind: true });
		expect(a.size).toBe(601);
		const [[, union]] = a.persistent().buckets;
		expect(union.startsWith('*')).toBe(true);
		const reader = new DedupeLedger('reader');
		expect(reader.sync(persisted(a.persistent()), later).absorbed).toBe(601);
		for (let i = 0; i < 300; i++) {
			expect(reader.has(`evt_a_${i}`) && reader.has(`evt_b_${i}`)).toBe(true);
		}
		// b then reads a's union: only what it lacked.
		expect(b.sync(persisted(a.persistent()), later)).toMatchObject({ absorbed: 300 });
		expect(b.size).toBe(601);
	});

	it('reads no sealed bucket again while it is unchanged', () => {
		const theirs = new DedupeLedger('theirs');
		for (let i = 0; i < 100; i++) theirs.add(`evt_${i}`, NOW - HOUR);
		theirs.prune(NOW, WEEK);
		const mine = new DedupeLedger('mine');
		expect(mine.sync(persisted(theirs.persistent()), NOW).absorbed).toBe(100);
		theirs.add('evt_new', NOW);
		const stored = persisted(theirs.persistent());
		// The sealed part is as it was: a damaged copy of it is not even looked at.
		expect(mine.sync(stored, NOW)).toEqual({ absorbed: 1, behind: false });
	});

	it('rejects a corrupt sealed bucket and keeps the rest', () => {
		const good = new DedupeLedger('good');
		for (let i = 0; i < 200; i++) good.add(`evt_${i}`, NOW - 2 * HOUR + (i % 2) * HOUR);
		good.prune(NOW, WEEK);
		const stored = persisted(good.persistent());
		const [[, first], second] = stored.buckets;
		const corrupted = {
			...stored,
			buckets: [
				second,
				[NOW - 3 * HOUR, '*,'],
				[NOW - 4 * HOUR, `${first.slice(0, -10)},`],
				[NOW - 5 * HOUR, `${first.slice(0, 3)}~~~~${first.slice(7)}`],
				[NOW - 6 * HOUR, `${first}x`],
			],
		};
		const ledger = new DedupeLedger('w1');
		expect(ledger.sync(corrupted, NOW)).toEqual({
			absorbed: 100,
			behind: true,
			problem: '4 stored dedupe bucket(s) were unreadable',
		});
		for (let i = 1; i < 200; i += 2) expect(ledger.has(`evt_${i}`)).toBe(true);
	});

	it('survives a sealed bucket damaged inside its payload', () => {
		const good = new DedupeLedger('good');
		for (let i = 0; i < 200; i++) good.add(`evt_${i}`, NOW - 2 * HOUR + (i % 2) * HOUR);
		good.prune(NOW, WEEK);
		const stored = persisted(good.persistent());
		const [[firstHour, first], second] = stored.buckets;
		// Without a checksum a changed character may still read as ids, but never as a crash.
		for (const at of [20, Math.floor(first.length / 2), first.length - 3]) {
			const flipped = first[at] === 'A' ? 'B' : 'A';
			const damaged = first.slice(0, at) + flipped + first.slice(at + 1);
			const ledger = new DedupeLedger('w1');
			ledger.sync({ ...stored, buckets: [[firstHour, damaged], second] }, NOW);
			for (let i = 1; i < 200; i += 2) expect(ledger.has(`evt_${i}`)).toBe(true);
		}
	});

	it('evicts at the cap from sealed buckets and stays at the cap', () => {
		const limits = { retentionSeconds: 7 * DAY, maxIds: 1000 };
		const ledger = new DedupeLedger('w1');
		for (let i = 0; i < 1000; i++) ledger.add(`evt_old_${i}`, NOW - 2 * HOUR);
		ledger.prune(NOW, limits);
		for (let i = 0; i < 300; i++) {
			ledger.add(`evt_new_${i}`, NOW + i);
			expect(ledger.prune(NOW + i, limits).evicted).toBe(1);
			expect(ledger.size).toBe(1000);
		}
		for (let i = 0; i < 300; i++) expect(ledger.has(`evt_new_${i}`)).toBe(true);
		const oldKept = Array.from({ length: 1000 }, (_, i) => `evt_old_${i}`).filter((id) =>
			ledger.has(id),
		);
		expect(oldKept).toHaveLength(700);
		const restarted = new DedupeLedger('w2');
		expect(restarted.sync(persisted(ledger.persistent()), NOW + 300).absorbed).toBe(1000);
		for (const id of oldKept) expect(restarted.has(id)).toBe(true);
	});

	it('ages sealed buckets out whole after the retention', () => {
		const ledger = new DedupeLedger('w1');
		for (let i = 0; i < 50; i++) ledger.add(`evt_${i}`, NOW - HOUR);
		ledger.prune(NOW, WEEK);
		expect(ledger.prune(NOW - HOUR + 7 * DAY + HOUR, WEEK).expired).toBe(50);
		expect(ledger.size).toBe(0);
		expect(ledger.persistent().buckets).toEqual([]);
		expect(ledger.has('evt_0')).toBe(false);
	});
});
