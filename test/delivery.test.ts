import {
	DedupeLedger,
	STORE_FORMAT_VERSION,
	type StoredDedupeState,
} from '../nodes/Pivotal/stores/dedupeLedger';
import { SAVE_GRACE_SECONDS } from '../nodes/Pivotal/stores/entryLog';
import { ownerOf } from '../nodes/Pivotal/delivery/eventOwner';
import { ADDRESS_REFRESH_SECONDS, PEER_LIVENESS_SECONDS } from '../nodes/Pivotal/stores/peers';
import type { DeliverySettings } from '../nodes/Pivotal/delivery/configuration';
import { receive, receiveAfterFirstRead, type DeliveryRequest } from './helpers/receive';
import { queuedSaves, saveRequestFor, saveSoon } from '../nodes/Pivotal/n8n/saveRequest';
import { VersionLedger } from '../nodes/Pivotal/stores/versionLedger';
import { newSecret, sampleEvent, signDelivery } from './helpers/signing';

const SETTINGS: DeliverySettings = {
	toleranceSeconds: 300,
	retentionSeconds: 7 * 86_400,
	maxIds: 1000,
	output: 'event',
	includeDeliveryMetadata: false,
	claimHoldSeconds: 3600,
};

function request(overrides: Partial<DeliveryRequest> & { event?: object; secret?: string } = {}) {
	const secret = overrides.secret ?? newSecret();
	const nowMs = overrides.nowMs ?? Date.now();
	const signed = signDelivery(JSON.stringify(overrides.event ?? sampleEvent()), {
		secret,
		timestampSeconds: Math.floor(nowMs / 1000),
	});
	return {
		rawBody: signed.body,
		headers: signed.headers,
		signingSecret: secret,
		previousSigningSecret: '',
		events: '*',
		settings: SETTINGS,
		...overrides,
		nowMs,
	};
}

function persisted(state: StoredDedupeState): unknown {
	return JSON.parse(JSON.stringify(state));
}

/** A store over a one-row "database": each request reads what the last save wrote. */
function store<L extends DedupeLedger | VersionLedger>(initial: unknown, ledger: L) {
	const saved: StoredDedupeState[] = [];
	const access = {
		ledger,
		get stored() {
			return saved.length > 0 ? persisted(saved[saved.length - 1]) : initial;
		},
		// Serialized when saved, as n8n does.
		save: (state: StoredDedupeState) => saved.push(persisted(state) as StoredDedupeState),
		keepAside: () => {},
	};
	return { saved, access };
}

function dedupeStore(initial: unknown = undefined) {
	return store(initial, new DedupeLedger('test'));
}

/**
 * One delivery and, when it starts a run, what the node does once the run is safe: the claimed
 * id (and the object's version) recorded and the stores saved (the trigger's execute(), then
 * n8n's save at the run's end).
 */
function deliver(req: DeliveryRequest) {
	const outcome = receive(req);
	const now = Math.floor(req.nowMs / 1000);
	if (outcome.claimedId !== undefined && req.dedupe) {
		req.dedupe.ledger.settle(outcome.claimedId, now, true);
		req.dedupe.save(req.dedupe.ledger.persistent());
	}
	if (outcome.heldVersion !== undefined && req.versions) {
		req.versions.ledger.settle(outcome.heldVersion, now, true);
		req.versions.save(req.versions.ledger.persistent());
	}
	return outcome;
}

describe('a delivery', () => {
	it('saves the ledger into static data once per new event and not for a duplicate', () => {
		const { saved, access } = dedupeStore();
		const secret = newSecret();
		const event = sampleEvent();
		expect(deliver(request({ secret, event, dedupe: access })).body.status).toBe('accepted');
		expect(deliver(request({ secret, event, dedupe: access })).body.status).toBe('duplicate');
		expect(saved).toHaveLength(1);
		expect(saved[0]).toMatchObject({ v: STORE_FORMAT_VERSION, rev: 'test.1' });
	});

	it('brings a lagging database up to date when a duplicate arrives, and only then', () => {
		const { saved, access } = dedupeStore();
		const secret = newSecret();
		const [first, second] = [sampleEvent(), sampleEvent()];
		deliver(request({ secret, event: first, dedupe: access }));
		deliver(request({ secret, event: second, dedupe: access }));
		// The database kept the first snapshot: n8n's save of the second landed before it.
		const lagging = { ...access, stored: saved[0] };
		// Once the save could have landed (the grace), not while it may be on its way.
		expect(deliver(request({ secret, event: first, dedupe: lagging })).body.status).toBe(
			'duplicate',
		);
		expect(saved).toHaveLength(2);
		const later = Date.now() + (SAVE_GRACE_SECONDS + 1) * 1000;
		expect(
			deliver(request({ secret, event: first, dedupe: lagging, nowMs: later })).body.status,
		).toBe('duplicate');
		expect(saved).toHaveLength(3);
		expect(new DedupeLedger('restarted').sync(saved[2], Date.now() / 1000).absorbed).toBe(2);
		deliver(request({ secret, event: second, dedupe: access }));
		expect(saved).toHaveLength(3);
	});

	it('passes an event it does not own to its owner, recording nothing, and keeps its own', () => {
		const self = 'http://10.0.0.1:5678';
		const peer = 'http://10.0.0.2:5678';
		const other = new DedupeLedger('other');
		other.locatedAt(peer);
		other.add('evt_seed', Math.floor(Date.now() / 1000));
		const { saved, access } = dedupeStore(persisted(other.persistent()));
		const secret = newSecret();
		const outcomes = Array.from({ length: 20 }, () =>
			deliver(request({ secret, event: sampleEvent(), dedupe: access, route: { self } })),
		);
		const passed = outcomes.filter((outcome) => outcome.forwardTo !== undefined);
		const kept = outcomes.filter((outcome) => outcome.forwardTo === undefined);
		expect(passed.length).toBeGreaterThan(0);
		expect(kept.length).toBeGreaterThan(0);
		for (const outcome of passed) {
			expect(outcome.forwardTo).toBe(peer);
			expect(outcome.item).toBeUndefined();
		}
		for (const outcome of kept) expect(outcome.body.status).toBe('accepted');
		expect(access.ledger.size).toBe(1 + kept.length);
		expect(saved.length).toBeGreaterThan(0);
	});

	it('handles a delivery itself when a peer was quiet for longer than its liveness', () => {
		const other = new DedupeLedger('other');
		other.locatedAt('http://10.0.0.2:5678');
		other.add('evt_seed', Math.floor(Date.now() / 1000) - 3600);
		const { access } = dedupeStore(persisted(other.persistent()));
		const secret = newSecret();
		for (let i = 0; i < 10; i++) {
			const route = { self: 'http://10.0.0.1:5678' };
			const outcome = receive(request({ secret, event: sampleEvent(), dedupe: access, route }));
			expect(outcome.forwardTo).toBeUndefined();
			expect(outcome.body.status).toBe('accepted');
		}
	});

	it('lists a process that passes every event on at its address, so its peers pass events to it', () => {
		const [a, b] = ['http://10.0.0.1:5678', 'http://10.0.0.2:5678'];
		const [ledgerA, ledgerB] = [new DedupeLedger('a'), new DedupeLedger('b')];
		ledgerA.locatedAt(a);
		ledgerB.locatedAt(b);
		const secret = newSecret();
		// One database row, as both processes' requests see it.
		const { saved, access: row } = store(undefined, ledgerA);
		const accessB = {
			ledger: ledgerB,
			get stored() {
				return row.stored;
			},
			save: row.save,
			keepAside: row.keepAside,
		};
		const nowMs = Date.now();
		deliver(request({ secret, event: sampleEvent(), dedupe: row, route: { self: a }, nowMs }));
		const savesBefore = saved.length;
		// Events A owns once B is known: every one B gets now, B passes on, recording nothing.
		const ownedByA = Array.from({ length: 40 }, () => sampleEvent()).filter(
			(event) => ownerOf(event.id, a, [b]) === a,
		);
		for (const event of ownedByA.slice(0, 5)) {
			const outcome = receive(
				request({ secret, event, dedupe: accessB, route: { self: b }, nowMs }),
			);
			expect(outcome.forwardTo).toBe(a);
		}
		expect(ownedByA.slice(0, 5).some((event) => ledgerB.has(event.id))).toBe(false);
		// Written once for the burst, not at every delivery.
		expect(saved).toHaveLength(savesBefore + 1);
		const now = Math.floor(nowMs / 1000);
		ledgerA.sync(row.stored, now);
		expect(ledgerA.peers(now, PEER_LIVENESS_SECONDS)).toEqual([b]);
		// Past the refresh, B writes its address again, so A goes on taking it for a live peer.
		const later = (now + ADDRESS_REFRESH_SECONDS + 1) * 1000;
		receive(
			request({ secret, event: ownedByA[0], dedupe: accessB, route: { self: b }, nowMs: later }),
		);
		expect(saved).toHaveLength(savesBefore + 2);
		ledgerA.sync(row.stored, later / 1000);
		expect(ledgerA.peers(later / 1000 + PEER_LIVENESS_SECONDS - 1, PEER_LIVENESS_SECONDS)).toEqual([
			b,
		]);
	});

	it("puts back ids another process's save overwrote, even on an ignored delivery", () => {
		const { saved, access } = dedupeStore();
		const secret = newSecret();
		const accepted = sampleEvent();
		deliver(request({ secret, event: accepted, dedupe: access }));
		const other = new DedupeLedger('other');
		other.add('evt_from_other', Math.floor(Date.now() / 1000));
		const overwritten = { ...access, stored: persisted(other.persistent()) };
		const ignored = receive(
			request({
				secret,
				event: sampleEvent({ type: 'customer.created' }),
				events: 'invoice.*',
				dedupe: overwritten,
				nowMs: Date.now() + (SAVE_GRACE_SECONDS + 1) * 1000,
			}),
		);
		expect(ignored.body.status).toBe('ignored');
		expect(saved).toHaveLength(2);
		const restarted = new DedupeLedger('restarted');
		restarted.sync(saved[1], Date.now() / 1000);
		expect(restarted.has(accepted.id) && restarted.has('evt_from_other')).toBe(true);
	});

	it('rewrites an unreadable store instead of losing the delivery, keeps it aside, and logs it', () => {
		const unreadable = { v: 2, rev: 'other.3', writers: {}, buckets: 'garbage' };
		const { saved, access } = dedupeStore(unreadable);
		const asideWith: unknown[] = [];
		access.keepAside = () => asideWith.push(access.stored);
		const outcome = deliver(request({ dedupe: access }));
		expect(asideWith).toEqual([unreadable]);
		expect(outcome.body.status).toBe('accepted');
		expect(outcome.item).toBeDefined();
		const rewritten = new DedupeLedger('check');
		rewritten.sync(saved[saved.length - 1], Date.now() / 1000);
		expect(rewritten.has(String(outcome.item?.id))).toBe(true);
		expect(outcome.log).toContainEqual({
			level: 'warn',
			message: expect.stringContaining('kept beside it (key ending in .unreadable)'),
		});
	});

	it('keeps its cap, warning at most once an hour while it drops ids early', () => {
		const { access } = dedupeStore();
		const nowMs = Date.now();
		for (let i = 0; i < 1000; i++) access.ledger.add(`evt_old_${i}`, Math.floor(nowMs / 1000) - 60);
		const capWarnings = (outcome: ReturnType<typeof receive>) =>
			outcome.log.filter(({ message }) => message.includes('at its cap of 1000 ids')).length;
		const first = deliver(request({ dedupe: access, nowMs }));
		expect(first.body.status).toBe('accepted');
		expect(capWarnings(first)).toBe(1);
		expect(access.ledger.size).toBe(1000);
		// One old id made room (which one depends on whether its hour is sealed yet).
		const kept = Array.from({ length: 1000 }, (_, i) => access.ledger.has(`evt_old_${i}`));
		expect(kept.filter(Boolean)).toHaveLength(999);
		expect(capWarnings(deliver(request({ dedupe: access, nowMs: nowMs + 1000 })))).toBe(0);
		expect(capWarnings(deliver(request({ dedupe: access, nowMs: nowMs + 3_600_000 })))).toBe(1);
		expect(access.ledger.size).toBe(1000);
	});

	it('emits the whole event when "Only Data Object" is chosen but the event has none', () => {
		const event = { id: 'evt_1', type: 'ping' };
		const outcome = receive(request({ event, settings: { ...SETTINGS, output: 'object' } }));
		expect(outcome.item).toEqual(event);
		expect(outcome.log).toContainEqual({
			level: 'warn',
			message: 'event has no data.object: emitting the whole event',
		});
	});

	it('uses a numeric envelope id as the dedupe key', () => {
		const { access } = dedupeStore();
		const secret = newSecret();
		const event = { ...sampleEvent(), id: 12345 };
		deliver(request({ secret, event, dedupe: access }));
		expect(access.ledger.has('12345')).toBe(true);
	});

	it('logs a malformed previous secret but still verifies with the current one', () => {
		const secret = newSecret();
		const outcome = deliver(request({ secret, previousSigningSecret: 'whsec_short' }));
		expect(outcome.body.status).toBe('accepted');
		expect(outcome.log).toContainEqual({
			level: 'error',
			message: expect.stringContaining('Previous Signing Secret'),
		});
	});

	it.each([
		['stale', -400, 'old'],
		['future', 400, 'in the future'],
	])('rejects a %s delivery with 401 and records nothing', (_label, shiftSeconds, words) => {
		const { saved, access } = dedupeStore();
		const signedNow = request({ dedupe: access });
		const outcome = receive({ ...signedNow, nowMs: signedNow.nowMs - shiftSeconds * 1000 });
		expect(outcome.httpStatus).toBe(401);
		expect(outcome.item).toBeUndefined();
		expect(saved).toHaveLength(0);
		expect(access.ledger.size).toBe(0);
		expect(outcome.log).toContainEqual({ level: 'warn', message: expect.stringContaining(words) });
	});
});

describe('Skip Out-of-Order Events', () => {
	const ORDERED: DeliverySettings = {
		...SETTINGS,
		ordering: { objectIdField: 'data.object.id', objectVersionField: 'data.object.updated_at' },
	};

	/** One node's two stores, each over a one-row "database", and requests signed for it. */
	function orderedNode() {
		const versions = store(undefined, new VersionLedger('test'));
		const stores = { dedupe: dedupeStore().access, versions: versions.access };
		const secret = newSecret();
		const req = (event: object, extra: Partial<DeliveryRequest> = {}) =>
			request({ secret, event, ...stores, settings: ORDERED, ...extra });
		return { ...stores, saved: versions.saved, req, send: (event: object) => deliver(req(event)) };
	}

	function about(updatedAt: unknown, id?: string) {
		return sampleEvent({ id, object: { id: 'cus_1', name: 'Ada', updated_at: updatedAt } });
	}

	it('answers stale, with no run, for an event older than one already accepted', () => {
		const { send, saved } = orderedNode();
		expect(send(about('2026-12-01T10:05:00Z')).body.status).toBe('accepted');
		const older = send(about('2026-12-01T10:01:00Z'));
		expect(older).toMatchObject({ httpStatus: 200, body: { status: 'stale' } });
		expect(older.item).toBeUndefined();
		expect(older.log).toContainEqual({ level: 'debug', message: expect.stringContaining('stale') });
		expect(saved).toHaveLength(1);
	});

	it('runs both when the older event comes first, and an equal version too', () => {
		const { send } = orderedNode();
		expect(send(about(1)).body.status).toBe('accepted');
		expect(send(about(2)).body.status).toBe('accepted');
		const tie = about(2);
		expect(send(tie).body.status).toBe('accepted');
		// The dedupe by event id still applies to an equal version.
		expect(send(tie).body.status).toBe('duplicate');
	});

	it('asks any other event about the object to wait while one is under way, then judges it', () => {
		const { dedupe, versions, req } = orderedNode();
		const newer = receive(req(about(9)));
		expect(newer.heldVersion).toBeDefined();
		const older = req(about(3));
		expect(receive(older)).toMatchObject({
			httpStatus: 409,
			body: { status: 'in-progress' },
		});
		const newest = req(about(12));
		expect(receive(newest).httpStatus).toBe(409);
		// Nothing of the held-back events was claimed: their retries are judged afresh.
		expect(dedupe.ledger.size).toBe(0);
		versions.ledger.settle(newer.heldVersion as string, Math.floor(Date.now() / 1000), true);
		expect(receive(older).body.status).toBe('stale');
		expect(receive(newest).body.status).toBe('accepted');
	});

	it('lets an older event run when the newer one failed', () => {
		const { dedupe, versions, req } = orderedNode();
		const newer = receive(req(about(9)));
		versions.ledger.settle(newer.heldVersion as string, Math.floor(Date.now() / 1000), false);
		dedupe.ledger.settle(newer.claimedId as string, Math.floor(Date.now() / 1000), false);
		const older = req(about(3));
		expect(receive(older).body.status).toBe('accepted');
	});

	it('runs an event it cannot order, warning once an hour and not per delivery', () => {
		const { req } = orderedNode();
		const nowMs = Date.now();
		const send = (event: object, at = nowMs) => deliver(req(event, { nowMs: at }));
		const first = send(about(undefined));
		expect(first.body.status).toBe('accepted');
		expect(first.log).toContainEqual({
			level: 'warn',
			message: expect.stringContaining('no version at data.object.updated_at'),
		});
		expect(send(sampleEvent()).log.filter((line) => line.level === 'warn')).toEqual([]);
		expect(send(about(undefined), nowMs + 3600_000).log).toContainEqual({
			level: 'warn',
			message: expect.stringContaining('runs as usual'),
		});
	});

	it('runs every event when the option is off', () => {
		const { req } = orderedNode();
		const send = (event: object) =>
			deliver(req(event, { versions: undefined, settings: SETTINGS }));
		expect(send(about(5)).body.status).toBe('accepted');
		expect(send(about(4)).body.status).toBe('accepted');
	});
});

describe('the first read of a store', () => {
	/** A store that another process saved with `ids` ids, as a restarted process finds it. */
	function savedElsewhere(ids: number) {
		const other = new DedupeLedger('other');
		const now = Math.floor(Date.now() / 1000);
		for (let i = 0; i < ids; i++) other.add(`evt_old_${i}`, now - 60);
		return dedupeStore(persisted(other.persistent()));
	}
	const turn = async () => await Promise.resolve();

	it('is not made for a request whose signature fails, which is rejected and reads nothing', async () => {
		const { saved, access } = savedElsewhere(50);
		const forged = { ...request({ dedupe: access }), signingSecret: newSecret() };
		expect((await receiveAfterFirstRead(forged, turn)).httpStatus).toBe(401);
		expect(access.ledger.firstReadPending).toBe(true);
		expect(access.ledger.size).toBe(0);
		expect(saved).toHaveLength(0);
	});

	it('is made for a signed delivery, before its id is checked', async () => {
		const { access } = savedElsewhere(50);
		const signed = request({ dedupe: access });
		expect((await receiveAfterFirstRead(signed, turn)).body.status).toBe('accepted');
		expect(access.ledger.firstReadPending).toBe(false);
		expect(access.ledger.size).toBe(50);
		expect(access.ledger.has('evt_old_49')).toBe(true);
		const again = request({ dedupe: access, event: sampleEvent({ id: 'evt_old_7' }) });
		expect((await receiveAfterFirstRead(again, turn)).body.status).toBe('duplicate');
	});
});

describe('a save request the node sends itself', () => {
	it('verifies like a delivery, saves the store and starts nothing, whatever the events filter', () => {
		const { saved, access } = dedupeStore();
		const secret = newSecret();
		const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
		const save = saveRequestFor(key, Math.floor(Date.now() / 1000), 'save_1');
		const outcome = receive({
			...request({ secret, dedupe: access }),
			rawBody: save.body,
			headers: save.headers,
			events: 'invoice.*',
		});
		expect(outcome).toMatchObject({ httpStatus: 200, body: { status: 'saved' } });
		expect(outcome.item).toBeUndefined();
		expect(saved).toHaveLength(1);
	});

	it('is rejected when signed with another key, and saves nothing', () => {
		const { saved, access } = dedupeStore();
		const save = saveRequestFor(Buffer.alloc(32, 7), Math.floor(Date.now() / 1000), 'save_1');
		const outcome = receive({
			...request({ dedupe: access }),
			rawBody: save.body,
			headers: save.headers,
		});
		expect(outcome.httpStatus).toBe(401);
		expect(saved).toHaveLength(0);
	});

	it('is shared by every caller until it starts, and queued once behind the one under way', async () => {
		const pending: Array<() => void> = [];
		const send = () => new Promise<void>((resolve) => pending.push(resolve));
		const settled = async () => {
			for (let i = 0; i < 5; i++) await Promise.resolve();
		};
		const burst = Array.from({ length: 5 }, () => saveSoon('wf:node', send));
		expect(new Set(burst).size).toBe(1);
		await settled();
		expect(pending).toHaveLength(1);
		// Recorded while that save is under way: these ids need the next one.
		const later = Array.from({ length: 3 }, () => saveSoon('wf:node', send));
		expect(new Set(later).size).toBe(1);
		expect(later[0]).not.toBe(burst[0]);
		pending[0]();
		await burst[0];
		await settled();
		expect(pending).toHaveLength(2);
		pending[1]();
		await later[0];
		expect(pending).toHaveLength(2);
		// Nothing left to save: the node's queue is let go.
		await settled();
		expect(queuedSaves()).toBe(0);
	});
});
