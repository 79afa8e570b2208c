import type { IDataObject } from 'n8n-workflow';

import { DedupeLedger, type DedupeLimits } from '../stores/dedupeLedger';
import type { LogLine } from '../delivery/outcome';
import {
	firstReadStores,
	saveStores,
	syncStores,
	type DedupeAccess,
	type StoreAccess,
	type Stores,
} from '../delivery/storeSync';
import type { StoredEntryLog } from '../stores/storedState';
import { GroupCommit } from './groupCommit';
import { IDLE_RELEASE_SECONDS, NodeMemory } from './nodeMemory';
import { VersionLedger } from '../stores/versionLedger';

/** What one trigger node keeps in a process's memory: its stores' ledgers, its saves' pace. */
export interface NodeState {
	dedupe: DedupeLedger;
	versions?: VersionLedger;
	commit: GroupCommit;
	/** The writer id of this state's ledgers (see ProcessStores). */
	writerId: string;
}

/** This process's stores for one trigger node; `versions` only with Skip Out-of-Order Events. */
export type NodeStores = Stores & { dedupe: DedupeAccess };

export interface ProcessStoresOptions {
	/** A new writer id for each node state, random enough never to repeat among a store's writers. */
	newWriterId: () => string;
	/** How long a run may wait to carry later runs' ids in one save (groupCommit.ts). */
	groupCommitMs: number;
	clockMs: () => number;
	sleep: (ms: number) => Promise<void>;
	idleSeconds?: number;
}

/**
 * The node's stores live under the workflow's global static data, keyed by node id, so a
 * rename keeps them.
 * @internal Exported for the tests.
 */
export function storeKey(store: 'dedupe' | 'versions', nodeId: string): string {
	return `pivotalTrigger.${store}.${nodeId}`;
}

/**
 * The trigger nodes' state in one process: made on a node's first request, let go when its
 * workflow is deactivated (also on every save of an active workflow on n8n 1.x, every publish
 * on 2.x) or it has been idle (nodeMemory.ts), and read back from static data by the state made
 * next.
 */
export class ProcessStores {
	private readonly states: NodeMemory<NodeState>;

	constructor(private readonly options: ProcessStoresOptions) {
		this.states = new NodeMemory<NodeState>(
			options.idleSeconds ?? IDLE_RELEASE_SECONDS,
			(state, now) =>
				!state.dedupe.hasClaims(now) && !state.versions?.hasHolds(now) && !state.commit.waiting,
		);
	}

	stateOf(workflowId: string | undefined, nodeId: string, nowSeconds: number): NodeState {
		const { options } = this;
		return this.states.of(nodeKey(workflowId, nodeId), nowSeconds, () => {
			// A writer id per state, not per process. A state made after its predecessor was let go
			// knows nothing: with the predecessor's id it would take the stored state's entries of that
			// writer for its own (a log never reads its own writes back), read none of them and save
			// over them; and the other processes, having merged that writer's revisions up to some
			// number, would skip the new state's entries until its revisions passed it. A new id makes
			// everything stored news to it, and its entries news to every other process. Each id costs
			// one entry in the stored writers list, which goes once its writer has been quiet for the
			// retention.
			const writerId = options.newWriterId();
			return {
				writerId,
				dedupe: new DedupeLedger(writerId),
				commit: new GroupCommit(options.groupCommitMs, options.clockMs, options.sleep),
			};
		});
	}

	/** The node's stores over one request's (or run's) copy of static data. */
	storesIn(
		staticData: IDataObject,
		workflowId: string | undefined,
		nodeId: string,
		skipStale: boolean,
		nowSeconds: number,
		copy: CopyKind = 'request',
	): NodeStores {
		const state = this.stateOf(workflowId, nodeId, nowSeconds);
		if (skipStale) state.versions ??= new VersionLedger(state.writerId);
		return {
			dedupe: storeIn(staticData, storeKey('dedupe', nodeId), state.dedupe, copy),
			versions: state.versions
				? storeIn(staticData, storeKey('versions', nodeId), state.versions, copy)
				: undefined,
		};
	}

	/**
	 * A run's part (execute()), in the process that runs it: reads and merges the run's copy of
	 * the stores, records its events (those given: the ones whose run start makes them safe),
	 * prunes, which compacts ended hours where runs record ids (a queue-mode worker gets no
	 * deliveries), and hands n8n the stores if this run carries its group's save.
	 */
	async recordRun(run: {
		staticData: IDataObject;
		workflowId: string | undefined;
		nodeId: string;
		skipStale: boolean;
		limits: DedupeLimits;
		events: ReadonlyArray<{ eventId: string; version?: string }>;
		pause: () => Promise<void>;
	}): Promise<LogLine[]> {
		const clock = () => Math.floor(this.options.clockMs() / 1000);
		const { workflowId, nodeId } = run;
		const stores = this.storesIn(run.staticData, workflowId, nodeId, run.skipStale, clock(), 'run');
		await firstReadStores(stores, run.pause);
		const now = clock();
		const lines: LogLine[] = [];
		syncStores(stores, now, lines);
		const prune = () => {
			stores.dedupe.ledger.prune(now, run.limits);
			stores.versions?.ledger.prune(now, run.limits);
		};
		// Before recording too: an id left only in an hour past the retention would count as there
		// already, and go with that hour.
		prune();
		for (const { eventId, version } of run.events) {
			stores.dedupe.ledger.settle(eventId, now, true);
			if (version !== undefined) stores.versions?.ledger.settle(version, now, true);
		}
		prune();
		const { commit } = this.stateOf(workflowId, nodeId, now);
		if (await commit.join()) saveStores(stores);
		return lines;
	}

	/** Deactivated or deleted: its state goes now if nothing of it is under way. */
	release(workflowId: string | undefined, nodeId: string, nowSeconds: number) {
		this.states.release(nodeKey(workflowId, nodeId), nowSeconds);
	}
}

export function nodeKey(workflowId: string | undefined, nodeId: string): string {
	return `${workflowId}:${nodeId}`;
}

/** Where a copy of static data comes from: a request loads it from the database, a run may not. */
export type CopyKind = 'request' | 'run';

/**
 * A store as one request's (or run's) copy of static data holds it. n8n saves a copy whole, last
 * writer wins, so what is put into it replaces the stored state. Two copies must not:
 * - one holding state of a later release's format: it stays for that release (left in place);
 * - a run's copy without the store. A webhook request loads static data from the database, so
 *   nothing there means nothing stored; a run may get none though the database holds a store
 *   (n8n runs the executions a crash left pending with the workflow as the execution saved it,
 *   without static data). Such a run leaves the save to the next request, which has read it.
 */
function storeIn<L extends DedupeLedger | VersionLedger>(
	staticData: IDataObject,
	key: string,
	ledger: L,
	copy: CopyKind,
): StoreAccess<L> {
	const stored = staticData[key];
	const mayReplace = !ledger.isNewer(stored) && !(copy === 'run' && stored === undefined);
	return {
		ledger,
		stored,
		save: (state: StoredEntryLog) => {
			// Assigned whole: n8n notices only top-level writes to static data.
			if (mayReplace) staticData[key] = state as unknown as IDataObject;
		},
		keepAside: () => {
			if (mayReplace && stored !== undefined)
				staticData[`${key}.unreadable`] = stored as IDataObject;
		},
	};
}
