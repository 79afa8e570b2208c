import {
	BUCKET_SECONDS,
	DedupeLedger,
	FINGERPRINT_CHARS,
	fingerprint,
	sharedLedger,
	type StoredDedupeState,
} from '../nodes/Pivotal/dedupeStore';

const DAY = 86_400;
const NOW = 1_780_000_000;
const WEEK = { retentionSeconds: 7 * DAY, maxIds: 100_000 };

/** A JSON round trip, as n8n stores static data in its database. */
function persisted(state: StoredDedupeState): unknown {
	return JSON.parse(JSON.stringify(state));
}

describe('fingerprint', () => {
	it('is 12 characters whatever the id length', () => {
		for (const id of ['', 'a', 'evt_123', 'x'.repeat(10_000), 'événement-😀']) {
			expect(fingerprint(id)).toHaveLength(FINGERPRINT_CHARS);
		}
	});

	it('differs for different ids and is stable for one id', () => {
		expect(fingerprint('evt_1')).toBe(fingerprint('evt_1'));
		expect(fingerprint('evt_1')).not.toBe(fingerprint('evt_2'));
	});
});

describe('DedupeLedger', () => {
	it('records an id once and reports the second time as a duplicate', () => {
		const ledger = new DedupeLedger('w1');
		expect(ledger.add('evt_1', NOW)).toBe(true);
		expect(ledger.add('evt_1', NOW + 10)).toBe(false);
		expect(ledger.has('evt_1')).toBe(true);
		expect(ledger.size).toBe(1);
	});

	it('survives a restart through its snapshot, as static data carries it', () => {
		const before = new DedupeLedger('before');
		for (let i = 0; i < 500; i++) before.add(`evt_${i}`, NOW + i * 60);
		const after = new DedupeLedger('after');
		expect(after.absorb(persisted(before.persistent()))).toEqual({ absorbed: 500 });
		expect(after.add('evt_42', NOW + DAY)).toBe(false);
		expect(after.add('evt_500', NOW + DAY)).toBe(true);
	});

	it('keeps ids for the whole retention and forgets them after it', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_old', NOW);
		ledger.prune(NOW + 7 * DAY - 1, WEEK);
		expect(ledger.has('evt_old')).toBe(true);
		const result = ledger.prune(NOW + 7 * DAY + BUCKET_SECONDS, WEEK);
		expect(result.expired).toBe(1);
		expect(ledger.has('evt_old')).toBe(false);
	});

	it('drops whole hour groups as they age, keeping younger ones', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_first_hour', NOW);
		ledger.add('evt_next_day', NOW + DAY);
		ledger.prune(NOW + 8 * DAY, WEEK);
		expect(ledger.has('evt_first_hour')).toBe(false);
		expect(ledger.has('evt_next_day')).toBe(true);
	});

	it('evicts exactly the oldest ids beyond the cap', () => {
		const ledger = new DedupeLedger('w1');
		const limits = { retentionSeconds: 7 * DAY, maxIds: 1000 };
		for (let i = 0; i < 1005; i++) ledger.add(`evt_${i}`, NOW + i * 10);
		const result = ledger.prune(NOW + 10_050, limits);
		expect(result.evicted).toBe(5);
		expect(ledger.size).toBe(1000);
		for (let i = 0; i < 5; i++) expect(ledger.has(`evt_${i}`)).toBe(false);
		for (let i = 5; i < 1005; i++) expect(ledger.has(`evt_${i}`)).toBe(true);
	});

	it('warns once when it nears its cap', () => {
		const ledger = new DedupeLedger('w1');
		const limits = { retentionSeconds: DAY, maxIds: 1000 };
		for (let i = 0; i < 899; i++) ledger.add(`evt_${i}`, NOW);
		expect(ledger.prune(NOW, limits).nearCap).toBe(false);
		ledger.add('evt_900th', NOW);
		expect(ledger.prune(NOW, limits).nearCap).toBe(true);
		ledger.add('evt_901st', NOW);
		expect(ledger.prune(NOW, limits).nearCap).toBe(false);
	});

	it('merges ids written by another process without losing its own', () => {
		const mine = new DedupeLedger('mine');
		const theirs = new DedupeLedger('theirs');
		mine.add('evt_a', NOW);
		theirs.add('evt_b', NOW);
		theirs.add('evt_a', NOW);
		expect(mine.absorb(persisted(theirs.persistent()))).toEqual({ absorbed: 1 });
		expect(mine.has('evt_a') && mine.has('evt_b')).toBe(true);
		expect(mine.size).toBe(2);
	});

	it('knows its own revisions, so re-reading its own write costs nothing', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_1', NOW);
		const first = (persisted(ledger.persistent()) as StoredDedupeState).rev;
		ledger.add('evt_2', NOW);
		const second = ledger.persistent().rev;
		expect(first).not.toBe(second);
		expect(ledger.wrote(first)).toBe(true);
		expect(ledger.wrote(second)).toBe(true);
		expect(ledger.isLatest(first)).toBe(false);
		expect(ledger.isLatest(second)).toBe(true);
		expect(ledger.wrote('w1.99')).toBe(false);
		expect(ledger.wrote('w2.1')).toBe(false);
		expect(ledger.wrote(undefined)).toBe(false);
	});

	it('hands out one state object that stays current, so a late save carries later ids', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_1', NOW);
		const handedToFirstRequest = ledger.persistent();
		ledger.add('evt_2', NOW + 1);
		ledger.add('evt_3', NOW + BUCKET_SECONDS);
		expect(ledger.persistent()).toBe(handedToFirstRequest);
		const restarted = new DedupeLedger('w2');
		expect(restarted.absorb(persisted(handedToFirstRequest))).toEqual({ absorbed: 3 });
		ledger.prune(NOW + 30 * DAY, WEEK);
		expect(handedToFirstRequest.buckets).toEqual([]);
	});

	it('stores about 12 bytes per id', () => {
		const ledger = new DedupeLedger('w1');
		for (let i = 0; i < 10_000; i++) ledger.add(`evt_${'x'.repeat(i % 80)}_${i}`, NOW + i);
		const bytes = JSON.stringify(ledger.persistent()).length;
		expect(bytes / 10_000).toBeLessThan(13);
	});

	it.each([
		['a future format', { v: 2, rev: 'x.1', buckets: [] }, 'unknown format'],
		['a string', 'garbage', 'unknown format'],
		['no bucket list', { v: 1, rev: 'x.1' }, 'no bucket list'],
	])('reports stored state with %s and absorbs nothing', (_label, stored, words) => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_kept', NOW);
		expect(ledger.absorb(stored)).toEqual({ absorbed: 0, problem: expect.stringContaining(words) });
		expect(ledger.has('evt_kept')).toBe(true);
	});

	it('keeps the readable buckets of a partly corrupted store', () => {
		const good = new DedupeLedger('good');
		good.add('evt_1', NOW);
		const stored = persisted(good.persistent()) as StoredDedupeState;
		const corrupted = {
			...stored,
			buckets: [...stored.buckets, [NOW, 'short'], ['soon', 'abcdefghijkl'], [NOW, '!!!!!!!!!!!!']],
		};
		const ledger = new DedupeLedger('w1');
		expect(ledger.absorb(corrupted)).toEqual({
			absorbed: 1,
			problem: '3 stored dedupe bucket(s) were unreadable',
		});
		expect(ledger.has('evt_1')).toBe(true);
	});

	it('treats missing stored state as empty', () => {
		expect(new DedupeLedger('w1').absorb(undefined)).toEqual({ absorbed: 0 });
	});
});

describe('sharedLedger', () => {
	it('gives every request for one node the same ledger and other nodes their own', () => {
		const first = sharedLedger('wf1:nodeA', 'w');
		expect(sharedLedger('wf1:nodeA', 'w')).toBe(first);
		expect(sharedLedger('wf1:nodeB', 'w')).not.toBe(first);
	});
});
