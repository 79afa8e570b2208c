import { deepCopy, ObservableObject } from 'n8n-workflow';

import {
	BUCKET_SECONDS,
	DedupeLedger,
	STORE_FORMAT_VERSION,
	type StoredDedupeState,
} from '../nodes/Pivotal/stores/dedupeLedger';
import { FINGERPRINT_CHARS, fingerprint } from '../nodes/Pivotal/stores/fingerprint';
import { SAVE_GRACE_SECONDS } from '../nodes/Pivotal/stores/entryLog';

const DAY = 86_400;
const NOW = 1_780_000_000;
/** Past the grace in which this process's own saves may still be landing. */
const LATER = NOW + SAVE_GRACE_SECONDS;
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
		expect(after.sync(persisted(before.persistent()), NOW)).toEqual({
			absorbed: 500,
			behind: false,
		});
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
		expect(mine.sync(persisted(theirs.persistent()), LATER)).toEqual({
			absorbed: 1,
			behind: true,
		});
		expect(mine.has('evt_a') && mine.has('evt_b')).toBe(true);
		expect(mine.size).toBe(2);
	});

	it('finds its own latest write in stored state current, and an older one behind', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_1', NOW);
		const first = persisted(ledger.persistent());
		ledger.add('evt_2', NOW);
		expect(ledger.sync(persisted(ledger.persistent()), NOW)).toEqual({
			absorbed: 0,
			behind: false,
		});
		// Once its own save could have landed; before that it may be on its way.
		expect(ledger.sync(first, NOW)).toEqual({ absorbed: 0, behind: false });
		expect(ledger.sync(first, LATER)).toEqual({ absorbed: 0, behind: true });
	});

	it("knows when another process's save overwrote its ids, and its state puts them back", () => {
		const a = new DedupeLedger('a');
		const b = new DedupeLedger('b');
		a.add('evt_1', NOW);
		b.sync(persisted(a.persistent()), NOW);
		a.add('evt_2', NOW);
		// b saves after a without having seen evt_2: the database now lacks it.
		b.add('evt_3', NOW);
		const overwritten = persisted(b.persistent());
		expect(a.sync(overwritten, LATER)).toEqual({ absorbed: 1, behind: true });
		const restarted = new DedupeLedger('c');
		restarted.sync(persisted(a.persistent()), NOW);
		for (const id of ['evt_1', 'evt_2', 'evt_3']) expect(restarted.has(id)).toBe(true);
		expect(b.sync(persisted(a.persistent()), NOW)).toEqual({ absorbed: 1, behind: false });
	});

	it('reads no ids from stored state that holds nothing new', () => {
		const theirs = new DedupeLedger('theirs');
		for (let i = 0; i < 100; i++) theirs.add(`evt_${i}`, NOW);
		const mine = new DedupeLedger('mine');
		const stored = persisted(theirs.persistent()) as StoredDedupeState;
		expect(mine.sync(stored, NOW).absorbed).toBe(100);
		// Same writers and revisions: the ids are not read again, so a planted one goes unseen.
		stored.buckets[0][1] += fingerprint('evt_planted');
		expect(mine.sync(stored, NOW)).toEqual({ absorbed: 0, behind: false });
		expect(mine.has('evt_planted')).toBe(false);
	});

	it('reads only the ids another writer appended since the last merge', () => {
		const theirs = new DedupeLedger('theirs');
		for (let i = 0; i < 100; i++) theirs.add(`evt_${i}`, NOW);
		const mine = new DedupeLedger('mine');
		mine.sync(persisted(theirs.persistent()), NOW);
		for (let i = 100; i < 105; i++) theirs.add(`evt_${i}`, NOW);
		const stored = persisted(theirs.persistent()) as StoredDedupeState;
		// Already-merged part rewritten: an incremental merge does not read it again.
		const [start, prints] = stored.buckets[0];
		stored.buckets[0] = [start, fingerprint('evt_planted') + prints.slice(FINGERPRINT_CHARS)];
		expect(mine.sync(stored, NOW)).toEqual({ absorbed: 5, behind: false });
		expect(mine.has('evt_104')).toBe(true);
		expect(mine.has('evt_planted')).toBe(false);
	});

	it('reads a bucket whole again once its writer dropped ids from its front', () => {
		const theirs = new DedupeLedger('theirs');
		for (let i = 0; i < 1000; i++) theirs.add(`evt_${i}`, NOW);
		const mine = new DedupeLedger('mine');
		mine.sync(persisted(theirs.persistent()), NOW);
		for (let i = 1000; i < 1010; i++) theirs.add(`evt_${i}`, NOW);
		theirs.prune(NOW, { retentionSeconds: DAY, maxIds: 1000 });
		expect(mine.sync(persisted(theirs.persistent()), NOW)).toEqual({
			absorbed: 10,
			behind: false,
		});
		expect(mine.size).toBe(1010);
	});

	it("reads the previous release's format (v1) without losing an id, and rewrites it", () => {
		const prints = ['evt_a', 'evt_b', 'evt_c'].map(fingerprint).join('');
		const hour = Math.floor(NOW / BUCKET_SECONDS) * BUCKET_SECONDS;
		const previous = { v: 1, rev: 'old.3', buckets: [[hour, prints]] };
		const ledger = new DedupeLedger('new');
		expect(ledger.sync(previous, NOW)).toEqual({ absorbed: 3, behind: true });
		for (const id of ['evt_a', 'evt_b', 'evt_c']) expect(ledger.has(id)).toBe(true);
		const rewritten = persisted(ledger.persistent()) as StoredDedupeState;
		expect(rewritten.v).toBe(STORE_FORMAT_VERSION);
		const other = new DedupeLedger('other');
		expect(other.sync(rewritten, NOW).absorbed).toBe(3);
	});

	it('forgets writers quiet for longer than the retention', () => {
		const old = new DedupeLedger('old');
		old.add('evt_1', NOW);
		const ledger = new DedupeLedger('w1');
		ledger.sync(persisted(old.persistent()), NOW);
		ledger.add('evt_2', NOW + 8 * DAY);
		expect(Object.keys(ledger.persistent().writers).sort()).toEqual(['old', 'w1']);
		ledger.prune(NOW + 8 * DAY, WEEK);
		ledger.add('evt_3', NOW + 8 * DAY);
		expect(Object.keys(ledger.persistent().writers)).toEqual(['w1']);
	});

	it('hands out one state object that stays current, so a late save carries later ids', () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_1', NOW);
		const handedToFirstRequest = ledger.persistent();
		ledger.add('evt_2', NOW + 1);
		ledger.add('evt_3', NOW + BUCKET_SECONDS);
		expect(ledger.persistent()).toBe(handedToFirstRequest);
		const restarted = new DedupeLedger('w2');
		expect(restarted.sync(persisted(handedToFirstRequest), NOW)).toMatchObject({ absorbed: 3 });
		ledger.prune(NOW + 30 * DAY, WEEK);
		expect(handedToFirstRequest.buckets).toEqual([]);
	});

	it.each([
		['a string', 'garbage', 'unknown format'],
		['a format number that is no number', { v: 'x', buckets: [] }, 'unknown format'],
		[
			'no bucket list',
			{ v: STORE_FORMAT_VERSION, rev: 'x.1', writers: { x: [1, NOW] } },
			'no bucket list',
		],
	])(
		'reports stored state with %s, absorbs nothing and asks to rewrite it',
		(_label, stored, words) => {
			const ledger = new DedupeLedger('w1');
			ledger.add('evt_kept', NOW);
			expect(ledger.sync(stored, NOW)).toEqual({
				absorbed: 0,
				behind: true,
				problem: expect.stringContaining(words),
			});
			expect(ledger.has('evt_kept')).toBe(true);
		},
	);

	it("leaves stored state of a later release's format alone: nothing read, nothing to rewrite", () => {
		const ledger = new DedupeLedger('w1');
		ledger.add('evt_kept', NOW);
		const later = { v: STORE_FORMAT_VERSION + 1, rev: 'x.1', writers: {}, buckets: [] };
		expect(ledger.isNewer(later)).toBe(true);
		expect(ledger.sync(later, NOW + 60)).toEqual({
			absorbed: 0,
			behind: false,
			newer: true,
			problem: `stored dedupe state has format ${STORE_FORMAT_VERSION + 1}, newer than this release reads (${STORE_FORMAT_VERSION})`,
		});
		expect(ledger.has('evt_kept')).toBe(true);
		expect(ledger.storedProblemDue(NOW)).toBe(true);
		expect(ledger.storedProblemDue(NOW + 3599)).toBe(false);
		expect(ledger.storedProblemDue(NOW + 3600)).toBe(true);
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
		expect(ledger.sync(corrupted, NOW)).toEqual({
			absorbed: 1,
			behind: true,
			problem: '3 stored dedupe bucket(s) were unreadable',
		});
		expect(ledger.has('evt_1')).toBe(true);
	});

	it('reads a store whose writers list it cannot read whole, takes its ids over and says so', () => {
		const good = new DedupeLedger('good');
		good.add('evt_1', NOW);
		const stored = persisted(good.persistent()) as StoredDedupeState;
		const damaged = { ...stored, writers: { good: [1, 'soon'] } };
		// A process that had read it before, and one that reads it first: both find the id.
		const running = new DedupeLedger('running');
		running.sync({ v: STORE_FORMAT_VERSION, rev: 'running.0', writers: {}, buckets: [] }, NOW);
		expect(running.sync(damaged, NOW)).toEqual({
			absorbed: 1,
			behind: true,
			problem: 'stored dedupe state has an unreadable writers list',
		});
		expect(running.has('evt_1')).toBe(true);
		// Its next save lists it as the id's writer, so other processes read the id from it.
		const rewritten = persisted(running.persistent()) as StoredDedupeState;
		const other = new DedupeLedger('other');
		other.sync({ v: STORE_FORMAT_VERSION, rev: 'other.0', writers: {}, buckets: [] }, NOW);
		expect(other.sync(rewritten, LATER).absorbed).toBe(1);
		expect(other.has('evt_1')).toBe(true);
	});

	it('treats missing stored state as empty', () => {
		expect(new DedupeLedger('w1').sync(undefined, NOW)).toEqual({ absorbed: 0, behind: false });
	});
});

describe('DedupeLedger claims (a delivery under way)', () => {
	const HOLD = 3600;

	it('answers a copy in progress while claimed, duplicate once settled safe', () => {
		const ledger = new DedupeLedger('w1');
		expect(ledger.claim('evt_1', NOW, HOLD)).toBe('new');
		expect(ledger.claim('evt_1', NOW + 1, HOLD)).toBe('in-progress');
		ledger.settle('evt_1', NOW + 2, true);
		expect(ledger.claim('evt_1', NOW + 3, HOLD)).toBe('duplicate');
		expect(ledger.has('evt_1')).toBe(true);
	});

	it('has a claim under way until it settles or lapses, so its state stays in memory', () => {
		const ledger = new DedupeLedger('w1');
		expect(ledger.hasClaims(NOW)).toBe(false);
		ledger.claim('evt_1', NOW, HOLD);
		ledger.claim('evt_2', NOW, HOLD);
		ledger.settle('evt_1', NOW + 1, true);
		expect(ledger.hasClaims(NOW + 1)).toBe(true);
		expect(ledger.hasClaims(NOW + HOLD)).toBe(false);
		ledger.settle('evt_2', NOW + 2, false);
		expect(ledger.hasClaims(NOW + 2)).toBe(false);
	});

	it('frees the id when the delivery did not become safe, so the retry runs', () => {
		const ledger = new DedupeLedger('w1');
		ledger.claim('evt_1', NOW, HOLD);
		ledger.settle('evt_1', NOW + 1, false);
		expect(ledger.has('evt_1')).toBe(false);
		expect(ledger.claim('evt_1', NOW + 2, HOLD)).toBe('new');
	});

	it('stores nothing for a claim: a stop before it settles leaves the id free after a restart', () => {
		const ledger = new DedupeLedger('w1');
		ledger.claim('evt_1', NOW, HOLD);
		const restarted = new DedupeLedger('w2');
		restarted.sync(persisted(ledger.persistent()), NOW + 5);
		expect(restarted.claim('evt_1', NOW + 5, HOLD)).toBe('new');
	});

	it('lets a claim lapse after its hold, so an event is never blocked for good', () => {
		const ledger = new DedupeLedger('w1');
		ledger.claim('evt_1', NOW, HOLD);
		expect(ledger.claim('evt_1', NOW + HOLD - 1, HOLD)).toBe('in-progress');
		expect(ledger.claim('evt_1', NOW + HOLD, HOLD)).toBe('new');
		ledger.prune(NOW + 3 * HOLD, WEEK);
		expect(ledger.claim('evt_1', NOW + 3 * HOLD, HOLD)).toBe('new');
	});

	it('ends a claim when another process (a queue-mode worker) stored the id', () => {
		const webhookProcess = new DedupeLedger('webhook');
		webhookProcess.claim('evt_1', NOW, HOLD);
		const worker = new DedupeLedger('worker');
		worker.add('evt_1', NOW + 1);
		webhookProcess.sync(persisted(worker.persistent()), NOW + 2);
		expect(webhookProcess.claim('evt_1', NOW + 3, HOLD)).toBe('duplicate');
	});
});

describe('what n8n is given of the store', () => {
	it('is a handle n8n finds nothing in to wrap, so proxies never pile up on the live state', () => {
		const ledger = new DedupeLedger('w1');
		for (let i = 0; i < 50; i++) ledger.add(`evt_${i}`, NOW + i * 600);
		const handle = ledger.persistent();
		const { buckets, writers } = handle;
		const firstBucket = buckets[0];
		// n8n wraps static data again for every Workflow it builds over it (n8n 1.x even what it
		// wrapped before); the node hands every request and run the same handle.
		for (let build = 0; build < 200; build++) {
			ObservableObject.create({ 'pivotalTrigger.dedupe.n1': handle }, undefined, {
				ignoreEmptyOnFirstChild: true,
			});
			// Some paths copy static data first: n8n's deepCopy takes what toJSON gives.
			ObservableObject.create(deepCopy({ 'pivotalTrigger.dedupe.n1': handle }));
		}
		const enumerable: string[] = [];
		for (const key in handle) enumerable.push(key);
		expect(enumerable).toEqual(['v']);
		expect(handle.buckets).toBe(buckets);
		expect(handle.buckets[0]).toBe(firstBucket);
		expect(handle.writers).toBe(writers);
		expect(Object.values(handle.writers)[0]).toBe(Object.values(writers)[0]);
		// Saved as the state it stands for, and read back as such.
		const saved = persisted(handle) as StoredDedupeState;
		expect(saved).toMatchObject({ v: STORE_FORMAT_VERSION, rev: 'w1.50' });
		expect(new DedupeLedger('reader').sync(saved, NOW).absorbed).toBe(50);
	});
});
