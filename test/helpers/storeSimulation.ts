/**
 * n8n as the node's stores meet it, in one process's memory, for the model-based tests: a
 * database holding the workflow's static data as JSON; requests and runs that each load their
 * own copy of it (wrapped in n8n's real ObservableObject), run the node's own code over it, and
 * save it whole, last writer wins, in whatever order the test says; processes that are
 * restarted, whose node state is let go; a clock; and damage done to the stored state. Beside it
 * a plain reference model says what each process must know and what the database must hold.
 */
import { ObservableObject, type IDataObject } from 'n8n-workflow';

import {
	BUCKET_SECONDS,
	DedupeLedger,
	STORE_FORMAT_VERSION,
} from '../../nodes/Pivotal/stores/dedupeLedger';
import { fingerprint } from '../../nodes/Pivotal/stores/fingerprint';
import { SAVE_GRACE_SECONDS } from '../../nodes/Pivotal/stores/entryLog';
import { ADDRESS_REFRESH_SECONDS } from '../../nodes/Pivotal/stores/peers';
import type { DeliverySettings } from '../../nodes/Pivotal/delivery/configuration';
import type { DeliveryOutcome } from '../../nodes/Pivotal/delivery/outcome';
import type { Stores } from '../../nodes/Pivotal/delivery/storeSync';
import { receiveAfterFirstRead } from './receive';
import { ProcessStores, storeKey, type NodeStores } from '../../nodes/Pivotal/n8n/nodeStores';
import { SAVE_MESSAGE } from '../../nodes/Pivotal/protocol/saveMessage';
import { VersionLedger } from '../../nodes/Pivotal/stores/versionLedger';
import { newSecret, signDelivery } from './signing';

export const WORKFLOW = 'wf-model';
export const NODE = 'node-model';
export const DAY = 86_400;
/** How many distinct events the operations draw from: few, so ids and objects meet again. */
export const EVENTS = 10;
const OBJECTS = 3;
const KEYS = { dedupe: storeKey('dedupe', NODE), versions: storeKey('versions', NODE) } as const;
type StoreName = keyof typeof KEYS;

/** Everything n8n does to the stores, as the test draws it. */
export type Op =
	/** A webhook request (`request`), a run (`run`) or a run n8n recovered after a crash, without static data (`recovered`), loads its copy. */
	| { t: 'open'; p: number; copy: 'request' | 'run' | 'recovered' }
	/** A signed delivery of an event on an open request; its claim settled at once or later. */
	| { t: 'deliver'; r: number; event: number; settle: 'safe' | 'failed' | 'later' }
	| { t: 'settle'; c: number; safe: boolean }
	/** The run of an accepted event on an open run copy (execute(), Acknowledge "When Received"). */
	| { t: 'run'; r: number; event: number }
	/** The node's save request to itself on an open request. */
	| { t: 'saveRequest'; r: number }
	/** n8n saves an open copy (if it changed), or throws it away. */
	| { t: 'save'; r: number }
	| { t: 'drop'; r: number }
	| { t: 'release'; p: number }
	| { t: 'restart'; p: number }
	| { t: 'tick'; seconds: number }
	| { t: 'limits'; maxIds: number; retentionDays: number }
	| {
			t: 'damage';
			store: StoreName;
			kind: 'newer' | 'garbage' | 'truncate' | 'older' | 'absent' | 'writers';
	  };

export interface Event {
	id: string;
	objectId: string;
	/** The object's version this event carries (a counter; the envelope holds it as a date). */
	version: number;
}

export function eventOf(index: number): Event {
	return {
		id: `evt_${index}`,
		objectId: `obj_${index % OBJECTS}`,
		// Events and versions in different orders, so older versions arrive after newer ones.
		version: ((index * 7) % EVENTS) + 1,
	};
}

/** What a process must know, or the database must hold: when each id and version was accepted. */
class Knowledge {
	readonly ids = new Map<string, number>();
	/** Per object, each version accepted and when. */
	readonly versions = new Map<string, Map<number, number>>();

	static copy(from: Knowledge): Knowledge {
		const to = new Knowledge();
		to.learn(from);
		return to;
	}

	learn(from: Knowledge) {
		for (const [id, at] of from.ids) this.ids.set(id, Math.min(at, this.ids.get(id) ?? at));
		for (const [object, versions] of from.versions) {
			for (const [version, at] of versions) this.acceptVersion(object, version, at);
		}
	}

	acceptVersion(object: string, version: number, at: number) {
		const known = this.versions.get(object) ?? new Map<number, number>();
		known.set(version, Math.min(at, known.get(version) ?? at));
		this.versions.set(object, known);
	}

	newestVersion(object: string): number | undefined {
		const known = this.versions.get(object);
		return known && known.size > 0 ? Math.max(...known.keys()) : undefined;
	}

	/** Forgets what the store may have let go: older than the retention, or beyond the cap. */
	trim(keep: (at: number, id: string) => boolean) {
		for (const [id, at] of this.ids) if (!keep(at, id)) this.ids.delete(id);
		for (const [object, versions] of this.versions) {
			for (const [version, at] of versions) {
				if (!keep(at, `${object}@${version}`)) versions.delete(version);
			}
		}
	}

	clear(store: StoreName) {
		if (store === 'dedupe') this.ids.clear();
		else this.versions.clear();
	}
}

interface Process {
	stores: ProcessStores;
	/** With Route by Event ID: the node state a request told its address, and when the node's code last ran over a copy with it. */
	located?: DedupeLedger;
	lastUseAt?: number;
	/** The node state the process holds now, told apart by its dedupe ledger. */
	ledger?: DedupeLedger;
	knows: Knowledge;
}

interface OpenCopy {
	p: number;
	copy: 'request' | 'run' | 'recovered';
	staticData: IDataObject;
	/** What the database held, by the model, when the copy was loaded. */
	held: Knowledge;
	/** The stored values as loaded, to tell what this copy's save writes. */
	loaded: Record<StoreName, string | undefined>;
	/** The database as loaded, to tell whether anything saved over it since. */
	loadedDb: string;
	/** With Route by Event ID: when the node's code ran over this request's copy. */
	usedAt?: number;
	/** When the node's code, its address known, last ran over another copy in the process before. */
	previousUseAt?: number;
	/** The state each store was given in this copy, by the process's knowledge at the time. */
	wrote: Partial<Record<StoreName, Knowledge>>;
	/** A copy serves one request or run, as in n8n; then it is saved or thrown away. */
	used: boolean;
}

interface Pending {
	p: number;
	stores: Stores;
	eventId: string;
	heldVersion?: string;
	event: Event;
}

export interface Violation {
	property: string;
	detail: string;
}

function changed(staticData: IDataObject): boolean {
	return (staticData as { __dataChanged?: boolean }).__dataChanged === true;
}

function loadCopy(json: string): IDataObject {
	// As n8n's Workflow does with static data.
	return ObservableObject.create(JSON.parse(json) as IDataObject, undefined, {
		ignoreEmptyOnFirstChild: true,
	});
}

export class Simulation {
	now: number;
	db = '{}';
	/** What the database must hold, by the model (only what the node's code can read). */
	held = new Knowledge();
	/** Stored values written by damage that must never vanish: per store, the value. */
	private readonly damaged: Partial<
		Record<StoreName, { value: unknown; newer: boolean; held: Knowledge }>
	> = {};
	/**
	 * When each id (and each version, as `<object>@<version>`) was accepted, anywhere: what may be
	 * a duplicate or stale, and in which hours a store may hold it.
	 */
	private readonly everAccepted = new Map<string, number[]>();
	private readonly everVersions = new Map<string, Set<number>>();
	readonly processes: Process[];
	private readonly open: OpenCopy[] = [];
	private readonly pending: Pending[] = [];
	/** Events whose delivery was accepted and whose run n8n has yet to start. */
	private readonly runnable: Event[] = [];
	private limits = { maxIds: 1000, retentionSeconds: 7 * DAY };
	private readonly secret = newSecret();
	readonly violations: Violation[] = [];
	readonly answers: string[] = [];
	/** Deliveries of an id their process had to know: how often "no id forgotten" was put to the test. */
	mustChecks = 0;

	constructor(
		processes: number,
		startSeconds: number,
		private readonly newWriterId: () => string,
		/** Whether the node routes by event id: each process then has an address to be listed at. */
		private readonly routed = false,
	) {
		this.now = startSeconds;
		this.processes = Array.from({ length: processes }, () => this.newProcess());
	}

	private newProcess(): Process {
		return {
			stores: new ProcessStores({
				newWriterId: this.newWriterId,
				groupCommitMs: 250,
				clockMs: () => this.now * 1000,
				sleep: async () => {},
			}),
			knows: new Knowledge(),
		};
	}

	private settings(): DeliverySettings {
		return {
			...this.limits,
			toleranceSeconds: 300,
			claimHoldSeconds: 3600,
			output: 'event',
			includeDeliveryMetadata: false,
			ordering: { objectIdField: 'data.object.id', objectVersionField: 'data.object.updated_at' },
		};
	}

	private fail(property: string, detail: string) {
		this.violations.push({ property, detail });
	}

	async apply(op: Op) {
		await this.applyOnly(op);
		this.trimAll();
	}

	private async applyOnly(op: Op) {
		switch (op.t) {
			case 'open':
				return this.openCopy(op.p % this.processes.length, op.copy);
			case 'deliver':
				return await this.deliver(op);
			case 'settle':
				return this.settleLater(op.c, op.safe);
			case 'run':
				return await this.run(op.r, op.event);
			case 'saveRequest':
				return await this.saveRequest(op.r);
			case 'save':
				return this.save(op.r);
			case 'drop':
				this.close(op.r);
				return;
			case 'release': {
				const p = op.p % this.processes.length;
				this.processes[p].stores.release(WORKFLOW, NODE, this.now);
				return;
			}
			case 'restart': {
				const p = op.p % this.processes.length;
				this.processes[p] = this.newProcess();
				// A claim lives in memory only: it goes with the process.
				this.pending.splice(0, this.pending.length, ...this.pending.filter((c) => c.p !== p));
				return;
			}
			case 'tick':
				this.now += op.seconds;
				return;
			case 'limits':
				this.limits = { maxIds: op.maxIds, retentionSeconds: op.retentionDays * DAY };
				return;
			case 'damage':
				return this.damage(op.store, op.kind);
		}
	}

	private openCopy(p: number, copy: OpenCopy['copy']) {
		const json = copy === 'recovered' ? '{}' : this.db;
		const staticData = loadCopy(json);
		const parsed = JSON.parse(json) as Record<string, unknown>;
		this.open.push({
			p,
			copy,
			staticData,
			held: copy === 'recovered' ? new Knowledge() : Knowledge.copy(this.held),
			loaded: {
				dedupe: parsed[KEYS.dedupe] === undefined ? undefined : JSON.stringify(parsed[KEYS.dedupe]),
				versions:
					parsed[KEYS.versions] === undefined ? undefined : JSON.stringify(parsed[KEYS.versions]),
			},
			loadedDb: json,
			wrote: {},
			used: false,
		});
	}

	/** An open copy of the kind not used yet; with none, a copy loaded now on process `r`. */
	private pick(r: number, webhook: boolean): OpenCopy {
		const fitting = this.open.filter((open) => !open.used && (open.copy === 'request') === webhook);
		if (fitting.length === 0) {
			this.openCopy(r % this.processes.length, webhook ? 'request' : 'run');
			fitting.push(this.open[this.open.length - 1]);
		}
		const picked = fitting[r % fitting.length];
		picked.used = true;
		return picked;
	}

	/** The process's stores over the copy, and its knowledge reset when its node state was let go. */
	private storesOver(open: OpenCopy): NodeStores {
		const process = this.processes[open.p];
		const stores = process.stores.storesIn(open.staticData, WORKFLOW, NODE, true, this.now);
		if (stores.dedupe.ledger !== process.ledger) {
			process.ledger = stores.dedupe.ledger;
			process.knows = new Knowledge();
		}
		if (this.routed && open.copy === 'request') {
			// As webhook() does on every request when routing.
			stores.dedupe.ledger.locatedAt(addressOf(open.p));
			process.located = stores.dedupe.ledger;
			open.usedAt = this.now;
			open.previousUseAt = process.lastUseAt;
		}
		// A run in the process writes the address too, once its node state knows it.
		if (process.located === stores.dedupe.ledger) process.lastUseAt = this.now;
		return stores;
	}

	/** After the node's code ran over a copy: what it put into it is what its process knows now. */
	private noteWrites(open: OpenCopy, stores: NodeStores) {
		const { knows } = this.processes[open.p];
		for (const name of ['dedupe', 'versions'] as const) {
			const ledger = stores[name]?.ledger;
			const value = (open.staticData as Record<string, unknown>)[KEYS[name]];
			if (ledger && value === ledger.persistent()) {
				open.wrote[name] = knows;
			}
		}
	}

	private async deliver(op: Extract<Op, { t: 'deliver' }>) {
		const open = this.pick(op.r, true);
		const stores = this.storesOver(open);
		const process = this.processes[open.p];
		// The copy is read by this delivery: its process knows what it held from now on.
		process.knows.learn(open.held);
		const event = eventOf(op.event);
		const outcome = await this.receive(event, stores);
		this.answers.push(outcome.body.status);
		this.check(open.p, event, outcome);
		if (outcome.claimedId !== undefined) {
			const claim = {
				p: open.p,
				stores,
				eventId: outcome.claimedId,
				heldVersion: outcome.heldVersion,
				event,
			};
			if (op.settle === 'later') this.pending.push(claim);
			else this.settle(claim, op.settle === 'safe');
		}
		this.noteWrites(open, stores);
	}

	private async receive(event: Event, stores: NodeStores): Promise<DeliveryOutcome> {
		const body = JSON.stringify({
			id: event.id,
			type: 'customer.updated',
			data: {
				object: {
					id: event.objectId,
					updated_at: new Date(Date.UTC(2026, 0, 1) + event.version * 1000).toISOString(),
				},
			},
		});
		return await this.webhook(body, stores);
	}

	/** The node's webhook(), as far as the stores go: a signed body, its first read, the delivery. */
	private async webhook(body: string | Buffer, stores: NodeStores) {
		const signed = signDelivery(body, { secret: this.secret, timestampSeconds: this.now });
		const request = {
			rawBody: signed.body,
			headers: signed.headers,
			signingSecret: this.secret,
			previousSigningSecret: undefined,
			events: '*',
			settings: this.settings(),
			nowMs: this.now * 1000,
			...stores,
		};
		return await receiveAfterFirstRead(request);
	}

	/** The properties a delivery's answer must keep, against what its process must know. */
	private check(p: number, event: Event, outcome: DeliveryOutcome) {
		const { knows } = this.processes[p];
		const status = outcome.body.status;
		const newest = knows.newestVersion(event.objectId);
		const where = `process ${p} at ${this.now}, ${event.id} (${event.objectId} v${event.version})`;
		if (newest !== undefined && newest > event.version && status !== 'stale') {
			this.fail('versions', `${where}: answered ${status}, but v${newest} was accepted`);
		}
		if (knows.ids.has(event.id)) this.mustChecks++;
		if (knows.ids.has(event.id) && status === 'accepted') {
			this.fail(
				'no id forgotten',
				`${where}: accepted again, first accepted at ${knows.ids.get(event.id)}`,
			);
		}
		if (status === 'duplicate' && !this.everAccepted.has(event.id)) {
			this.fail('no false duplicate', `${where}: duplicate of an id never accepted`);
		}
		const versions = this.everVersions.get(event.objectId);
		if (status === 'stale' && ![...(versions ?? [])].some((version) => version > event.version)) {
			this.fail('no false stale', `${where}: stale without a newer version accepted`);
		}
	}

	private settle(claim: Pending, safe: boolean) {
		const { stores, eventId, heldVersion, event } = claim;
		stores.dedupe?.ledger.settle(eventId, this.now, safe);
		if (heldVersion !== undefined) stores.versions?.ledger.settle(heldVersion, this.now, safe);
		// A ledger let go since its claim knows it alone, and nobody reads it any more.
		const current = stores.dedupe?.ledger === this.processes[claim.p].ledger;
		if (!safe) return;
		this.accept(current ? claim.p : undefined, event, heldVersion !== undefined);
		this.runnable.push(event);
	}

	private settleLater(c: number, safe: boolean) {
		if (this.pending.length === 0) return;
		const [claim] = this.pending.splice(c % this.pending.length, 1);
		this.settle(claim, safe);
	}

	/**
	 * An event accepted by a process (or by a ledger let go since: `p` undefined). Its time is
	 * the first time it was ever accepted: a store that still holds it from then keeps it in that
	 * hour and lets it go with it.
	 */
	private accept(p: number | undefined, event: Event, withVersion: boolean) {
		const knows = p === undefined ? new Knowledge() : this.processes[p].knows;
		const times = [...(this.everAccepted.get(event.id) ?? []), this.now];
		this.everAccepted.set(event.id, times);
		knows.ids.set(event.id, Math.min(...times));
		if (!withVersion) return;
		const versionKey = `${event.objectId}@${event.version}`;
		const versionTimes = [...(this.everAccepted.get(versionKey) ?? []), this.now];
		this.everAccepted.set(versionKey, versionTimes);
		knows.acceptVersion(event.objectId, event.version, Math.min(...versionTimes));
		const versions = this.everVersions.get(event.objectId) ?? new Set<number>();
		versions.add(event.version);
		this.everVersions.set(event.objectId, versions);
	}

	/** The run of an accepted delivery (one of those waiting, picked by `index`), in any process. */
	private async run(r: number, index: number) {
		if (this.runnable.length === 0) return;
		const [event] = this.runnable.splice(index % this.runnable.length, 1);
		const open = this.pick(r, false);
		const process = this.processes[open.p];
		const stores = this.storesOver(open);
		process.knows.learn(open.held);
		const version = VersionLedger.entryOf(event.objectId, tokenOf(event.version));
		// The node's own run code: the webhook's claim travels with the run as these two fields.
		await process.stores.recordRun({
			staticData: open.staticData,
			workflowId: WORKFLOW,
			nodeId: NODE,
			skipStale: true,
			limits: this.limits,
			events: [{ eventId: event.id, version }],
			pause: async () => {},
		});
		this.accept(open.p, event, true);
		this.noteWrites(open, stores);
	}

	private async saveRequest(r: number) {
		const open = this.pick(r, true);
		const stores = this.storesOver(open);
		this.processes[open.p].knows.learn(open.held);
		await this.webhook(SAVE_MESSAGE, stores);
		this.noteWrites(open, stores);
	}

	private close(r: number): OpenCopy | undefined {
		return this.open.length === 0 ? undefined : this.open.splice(r % this.open.length, 1)[0];
	}

	/** n8n saves a copy whole when it changed: what the database holds afterwards. */
	private save(r: number) {
		const open = this.close(r);
		if (!open) return;
		if (!changed(open.staticData)) {
			this.checkListed(open, false);
			return;
		}
		const before = this.db;
		this.db = JSON.stringify(open.staticData);
		const stored = JSON.parse(this.db) as Record<string, unknown>;
		if (open.copy === 'recovered' && before !== '{}') {
			this.fail(
				'empty means unknown',
				`a recovered run without static data saved over the store: ${before.slice(0, 120)} -> ${this.db.slice(0, 120)}`,
			);
		}
		for (const name of ['dedupe', 'versions'] as const) {
			this.setHeld(name, open.wrote[name] ?? open.held);
			this.keepDamaged(name, open, stored);
		}
		this.checkStored();
		this.checkListed(open, true);
	}

	/**
	 * With Route by Event ID, peers route only to processes the store lists as live: once a
	 * process's request is saved, the database lists its address as seen recently enough
	 * (ADDRESS_REFRESH_SECONDS before the request). Not asked when the request saved nothing
	 * and another copy was saved since it was loaded, nor when another request of the same
	 * process ran within the save grace before it (that one's save carries the address, and
	 * were it lost, the next request after the grace writes it).
	 */
	private checkListed(open: OpenCopy, saved: boolean) {
		const { usedAt, previousUseAt } = open;
		if (usedAt === undefined) return;
		if (!saved && this.db !== open.loadedDb) return;
		if (previousUseAt !== undefined && usedAt - previousUseAt < SAVE_GRACE_SECONDS) return;
		const stored = (JSON.parse(this.db) as Record<string, unknown>)[KEYS.dedupe] as
			| { v?: unknown; writers?: Record<string, unknown[]> }
			| undefined;
		// A newer release's state is left as it is (see 'newer format never replaced').
		if (typeof stored?.v === 'number' && stored.v > STORE_FORMAT_VERSION) return;
		const address = addressOf(open.p);
		const listed = Object.values(stored?.writers ?? {}).some(
			([, seenAt, at]) => at === address && Number(seenAt) > usedAt - ADDRESS_REFRESH_SECONDS,
		);
		if (!listed) {
			this.fail(
				'routed processes listed',
				`process ${open.p}'s request at ${open.usedAt}${saved ? ', saved,' : ''} left ${address} unlisted: ${this.db.slice(0, 200)}`,
			);
		}
	}

	private setHeld(name: StoreName, from: Knowledge) {
		const next = Knowledge.copy(from);
		this.held.clear(name);
		if (name === 'dedupe') for (const [id, at] of next.ids) this.held.ids.set(id, at);
		else for (const [object, versions] of next.versions) this.held.versions.set(object, versions);
	}

	/** Damaged stored state that a copy loaded is never lost: it stays, or it is kept beside. */
	private keepDamaged(name: StoreName, open: OpenCopy, stored: Record<string, unknown>) {
		const damage = this.damaged[name];
		const loaded = open.loaded[name];
		if (!damage || loaded !== JSON.stringify(damage.value)) return;
		const kept = JSON.stringify(stored[KEYS[name]]);
		const aside = JSON.stringify(stored[`${KEYS[name]}.unreadable`]);
		if (damage.newer && kept !== loaded) {
			this.fail('newer format never replaced', `${name}: ${loaded} became ${kept}`);
		}
		// A process that wrote the damaged entries itself may put them back whole instead.
		const missing = this.missingFrom(stored, damage.held);
		if (!damage.newer && kept !== loaded && aside !== loaded && missing.length > 0) {
			this.fail(
				'unreadable state never wiped',
				`${name}: ${loaded} is neither kept nor aside, and ${missing.join(', ')} went with it`,
			);
		}
	}

	/** What of `knowledge` a reader of the stored state does not find: ids, objects' newest versions. */
	private missingFrom(stored: Record<string, unknown>, knowledge: Knowledge): string[] {
		const missing: string[] = [];
		const dedupe = new DedupeLedger('reader');
		dedupe.sync(stored[KEYS.dedupe], this.now);
		for (const [id] of knowledge.ids) if (!dedupe.has(id)) missing.push(id);
		const versions = new VersionLedger('reader');
		versions.sync(stored[KEYS.versions], this.now);
		for (const [object] of knowledge.versions) {
			const newest = knowledge.newestVersion(object);
			if (newest === undefined || newest <= 1) continue;
			const older = VersionLedger.entryOf(object, tokenOf(newest - 1));
			if (versions.order(older, this.now) !== 'stale') missing.push(`${object} v${newest}`);
		}
		return missing;
	}

	/** No id lost from storage: a reader of the database finds everything it must hold. */
	private checkStored() {
		const missing = this.missingFrom(JSON.parse(this.db) as Record<string, unknown>, this.held);
		for (const what of missing) {
			const property = what.includes(' v')
				? 'no version lost from storage'
				: 'no id lost from storage';
			this.fail(property, `${what} missing from ${this.db.slice(0, 200)}`);
		}
	}

	private damage(name: StoreName, kind: Extract<Op, { t: 'damage' }>['kind']) {
		const stored = JSON.parse(this.db) as Record<string, unknown>;
		const key = KEYS[name];
		const current = stored[key] as { v?: number; buckets?: Array<[number, string]> } | undefined;
		let value: unknown;
		let lost: (at: number, key: string) => boolean = () => true;
		if (kind === 'newer') value = { v: 99, rev: 'later.1', writers: {}, buckets: [], more: 'x' };
		else if (kind === 'garbage') value = 'not a store';
		else if (kind === 'absent') value = undefined;
		else if (kind === 'truncate') {
			const buckets = current?.buckets;
			if (!Array.isArray(buckets) || buckets.length === 0) return;
			const [hour, text] = buckets[buckets.length - 1];
			if (text.length < 2) return;
			value = { ...current, buckets: [...buckets.slice(0, -1), [hour, text.slice(0, -1)]] };
			// Ids a store may hold in that hour may be lost; the other hours' must stay readable.
			lost = (_at, key) =>
				(this.everAccepted.get(key) ?? []).some(
					(at) => Math.floor(at / BUCKET_SECONDS) * BUCKET_SECONDS === hour,
				);
		} else if (kind === 'writers') {
			// A writers list this release cannot read: the ids are all still there.
			if (current === undefined) return;
			value = { ...current, writers: { broken: [1, 'soon'] } };
			lost = () => false;
		} else {
			if (name !== 'dedupe') return;
			// The previous release's format, as a process running it would have written it.
			value = olderFormatOf(this.held.ids);
			lost = () => false;
		}
		if (value === undefined) delete stored[key];
		else stored[key] = value;
		this.db = JSON.stringify(stored);
		const heldBefore = Knowledge.copy(this.held);
		this.held.trim((at, key) =>
			(name === 'dedupe') === !key.includes('@') ? !lost(at, key) : true,
		);
		if (kind === 'newer' || kind === 'garbage' || kind === 'truncate' || kind === 'writers') {
			this.damaged[name] = { value, newer: kind === 'newer', held: heldBefore };
		}
	}

	/** What stores may have let go by now: past the retention, or beyond the cap. */
	private trimAll() {
		const { retentionSeconds, maxIds } = this.limits;
		const hourOf = (at: number) => Math.floor(at / BUCKET_SECONDS) * BUCKET_SECONDS;
		// Beyond the cap the oldest hours go first: an id is safe while the ids (of any process)
		// a store may hold in its hour or newer ones leave room for one more; versions alike.
		const latestHours = (versions: boolean) =>
			[...this.everAccepted]
				.filter(([key]) => key.includes('@') === versions)
				.map(([, times]) => Math.max(...times.map(hourOf)));
		const hours = { ids: latestHours(false), versions: latestHours(true) };
		const safeFromCap = (at: number, key: string) =>
			hours[key.includes('@') ? 'versions' : 'ids'].filter((hour) => hour >= hourOf(at)).length <=
			maxIds - 1;
		const keep = (at: number, key: string) =>
			this.now - at < retentionSeconds && safeFromCap(at, key);
		for (const knowledge of [
			this.held,
			...this.processes.map((process) => process.knows),
			...this.open.map((open) => open.held),
			...this.open.flatMap((open) => Object.values(open.wrote)),
			...Object.values(this.damaged).map((damage) => damage.held),
		]) {
			knowledge.trim(keep);
		}
	}
}

function addressOf(p: number): string {
	return `http://10.0.0.${p + 1}:5678`;
}

export function tokenOf(version: number): string {
	// The token objectVersion.ts makes of an ISO date: epoch milliseconds in base 36, 13 digits.
	return (Date.UTC(2026, 0, 1) + version * 1000).toString(36).padStart(13, '0');
}

function olderFormatOf(ids: Map<string, number>) {
	const buckets = new Map<number, string>();
	for (const [id, at] of ids) {
		const hour = Math.floor(at / BUCKET_SECONDS) * BUCKET_SECONDS;
		buckets.set(hour, (buckets.get(hour) ?? '') + fingerprint(id));
	}
	return {
		v: 1,
		rev: 'previous.1',
		buckets: [...buckets].sort(([a], [b]) => a - b),
	};
}
