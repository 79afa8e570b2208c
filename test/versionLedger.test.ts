import { SAVE_GRACE_SECONDS } from '../nodes/Pivotal/stores/entryLog';
import { BUCKET_SECONDS } from '../nodes/Pivotal/stores/storedState';
import { versionToken } from '../nodes/Pivotal/protocol/objectVersion';
import {
	VERSION_ENTRY_CHARS,
	VersionLedger,
	type StoredVersionState,
} from '../nodes/Pivotal/stores/versionLedger';

const NOW = 1_780_000_000;
const DAY = 86_400;
const LIMITS = { retentionSeconds: 7 * DAY, maxIds: 1000 };
const HOLD = 3600;

function entry(objectId: string, version: unknown): string {
	const token = versionToken(version);
	if (token === undefined) throw new Error(`not a version: ${String(version)}`);
	return VersionLedger.entryOf(objectId, token);
}

function persisted(state: StoredVersionState): StoredVersionState {
	return JSON.parse(JSON.stringify(state)) as StoredVersionState;
}

/** What a delivery does when its run is safe: held, then settled. */
function accept(ledger: VersionLedger, objectId: string, version: unknown, now = NOW) {
	ledger.hold(entry(objectId, version), now, HOLD);
	ledger.settle(entry(objectId, version), now, true);
}

describe('VersionLedger', () => {
	it('calls an older version stale, and an equal or newer one current', () => {
		const ledger = new VersionLedger('w1');
		accept(ledger, 'cus_1', 5);
		expect(ledger.order(entry('cus_1', 4), NOW)).toBe('stale');
		expect(ledger.order(entry('cus_1', 5), NOW)).toBe('current');
		expect(ledger.order(entry('cus_1', 6), NOW)).toBe('current');
		expect(ledger.order(entry('cus_2', 1), NOW)).toBe('current');
	});

	it('holds back every other event about the object while one is under way', () => {
		const ledger = new VersionLedger('w1');
		ledger.hold(entry('cus_1', 7), NOW, HOLD);
		expect(ledger.order(entry('cus_1', 3), NOW)).toBe('busy');
		expect(ledger.order(entry('cus_1', 9), NOW)).toBe('busy');
		expect(ledger.order(entry('cus_2', 3), NOW)).toBe('current');
		// A hold that lapsed (its process lost track of the run) no longer holds anything back.
		expect(ledger.order(entry('cus_1', 3), NOW + HOLD)).toBe('current');
		ledger.settle(entry('cus_1', 7), NOW, true);
		expect(ledger.order(entry('cus_1', 3), NOW)).toBe('stale');
		expect(ledger.order(entry('cus_1', 9), NOW)).toBe('current');
	});

	it('has an object under way until its hold settles or lapses', () => {
		const ledger = new VersionLedger('w1');
		expect(ledger.hasHolds(NOW)).toBe(false);
		ledger.hold(entry('cus_1', 7), NOW, HOLD);
		expect(ledger.hasHolds(NOW + 1)).toBe(true);
		expect(ledger.hasHolds(NOW + HOLD)).toBe(false);
		ledger.settle(entry('cus_1', 7), NOW + 1, true);
		expect(ledger.hasHolds(NOW + 1)).toBe(false);
	});

	it('moves the object forward only when the run is safe', () => {
		const ledger = new VersionLedger('w1');
		ledger.hold(entry('cus_1', 7), NOW, HOLD);
		ledger.settle(entry('cus_1', 7), NOW, false);
		expect(ledger.order(entry('cus_1', 3), NOW)).toBe('current');
		expect(ledger.entries).toBe(0);
		accept(ledger, 'cus_1', 3);
		expect(ledger.order(entry('cus_1', 2), NOW)).toBe('stale');
	});

	it('never lets an older version settled last win over a newer one', () => {
		const ledger = new VersionLedger('w1');
		accept(ledger, 'cus_1', 9);
		// Merged from another process, say, after this one accepted a newer version.
		ledger.settle(entry('cus_1', 3), NOW, true);
		expect(ledger.order(entry('cus_1', 8), NOW)).toBe('stale');
		expect(ledger.entries).toBe(1);
	});

	it('stores 25 characters per accepted version, and nothing for a repeated one', () => {
		const ledger = new VersionLedger('w1');
		for (let i = 0; i < 100; i++) accept(ledger, `cus_${i}`, '2026-12-01T10:00:00Z');
		accept(ledger, 'cus_0', '2026-12-01T10:00:00Z');
		const [[, entries]] = ledger.persistent().buckets;
		expect(VERSION_ENTRY_CHARS).toBe(25);
		expect(entries).toHaveLength(100 * VERSION_ENTRY_CHARS);
		expect(ledger.objects).toBe(100);
	});

	it('forgets an object once its newest version is older than the retention, not before', () => {
		const ledger = new VersionLedger('w1');
		accept(ledger, 'cus_1', 1, NOW);
		accept(ledger, 'cus_1', 2, NOW + 3 * DAY);
		ledger.prune(NOW + 7 * DAY + BUCKET_SECONDS, LIMITS);
		// The superseded entry aged out; the newest still protects the object.
		expect(ledger.entries).toBe(1);
		expect(ledger.order(entry('cus_1', 1), NOW + 7 * DAY + BUCKET_SECONDS)).toBe('stale');
		ledger.prune(NOW + 10 * DAY + BUCKET_SECONDS, LIMITS);
		expect(ledger.objects).toBe(0);
	});

	it('keeps at most the cap, dropping the oldest first', () => {
		const ledger = new VersionLedger('w1');
		for (let i = 0; i < 1005; i++) accept(ledger, `cus_${i}`, 1);
		ledger.prune(NOW, LIMITS);
		expect(ledger.entries).toBe(1000);
		expect(ledger.order(entry('cus_0', 0), NOW)).toBe('current');
		expect(ledger.order(entry('cus_1004', 0), NOW)).toBe('stale');
	});

	it('survives a restart: a new process reads the versions back', () => {
		const before = new VersionLedger('before');
		accept(before, 'cus_1', '2026-12-01T10:05:00Z');
		const after = new VersionLedger('after');
		expect(after.sync(persisted(before.persistent()), NOW)).toEqual({
			absorbed: 1,
			behind: false,
		});
		expect(after.order(entry('cus_1', '2026-12-01T10:01:00Z'), NOW)).toBe('stale');
	});

	it('merges another process’s versions, keeping the greater per object', () => {
		const mine = new VersionLedger('mine');
		const theirs = new VersionLedger('theirs');
		accept(mine, 'cus_1', 9);
		accept(theirs, 'cus_1', 4);
		accept(theirs, 'cus_2', 4);
		// cus_1's older version is kept as an entry too, should its newer one leave first.
		expect(mine.sync(persisted(theirs.persistent()), NOW + SAVE_GRACE_SECONDS)).toEqual({
			absorbed: 2,
			behind: true,
		});
		expect(mine.entries).toBe(3);
		expect(mine.order(entry('cus_1', 8), NOW)).toBe('stale');
		expect(mine.order(entry('cus_2', 3), NOW)).toBe('stale');
	});

	it('keeps the readable part of corrupt stored state and says what it skipped', () => {
		const good = new VersionLedger('good');
		accept(good, 'cus_1', 5);
		const stored = persisted(good.persistent());
		stored.buckets.push(
			[NOW, 'not a bucket'],
			['x' as unknown as number, ''],
			[NOW, 'a'.repeat(7)],
		);
		// One entry whose version is not a token: the rest of its bucket is still read.
		stored.buckets.push([
			NOW - BUCKET_SECONDS,
			`${'A'.repeat(12)}${'Z'.repeat(13)}${entry('cus_2', 6)}`,
		]);
		const restarted = new VersionLedger('restarted');
		expect(restarted.sync(stored, NOW)).toEqual({
			absorbed: 2,
			behind: true,
			problem: '3 stored object version bucket(s) were unreadable',
		});
		expect(restarted.order(entry('cus_1', 4), NOW)).toBe('stale');
		expect(restarted.order(entry('cus_2', 5), NOW)).toBe('stale');
		expect(new VersionLedger('x').sync({ v: 99, buckets: [] }, NOW)).toEqual({
			absorbed: 0,
			behind: false,
			newer: true,
			problem: 'stored object version state has format 99, newer than this release reads (1)',
		});
		expect(new VersionLedger('x').sync({ v: 'one', buckets: [] }, NOW)).toEqual({
			absorbed: 0,
			behind: true,
			problem: 'stored object version state has an unknown format',
		});
	});
});
