import type { LogLine } from '../delivery/outcome';
import { recordsWhenRunStarts, settle, type AcknowledgeMode } from './acknowledge';
import type { Answer } from './answerInPlaceOfN8n';
import type { NodeStores } from './nodeStores';

/** The most a "When Received" 2xx waits for its run to start where n8n answers before that. */
export const RUN_START_WAIT_MS = 2000;

/**
 * What the sender gets once n8n answers an accepted delivery, and what becomes of its claim:
 * recorded after a 2xx, freed otherwise. `save` makes n8n save this process's store (a save
 * request to itself); undefined when it cannot be reached.
 */
export function settleOnAnswer(input: {
	acknowledge: AcknowledgeMode;
	n8nStatus: number;
	claimedId: string | undefined;
	heldVersion: string | undefined;
	stores: NodeStores | undefined;
	routed: boolean;
	/**
	 * The database held no store for the node when this request read it: the run will not write
	 * one (a run cannot tell an absent store from one its copy lacks; see nodeStores.ts), so this
	 * process saves it once the id is recorded.
	 */
	firstSave: boolean;
	log: (lines: LogLine[]) => void;
	nowSeconds: () => number;
	save?: () => Promise<void>;
	/** Set when n8n answers before the execution exists (see runStart.ts). */
	runStart?: { wait: () => Promise<boolean>; forget: () => void };
	/** Resolves true when the run did not start in this process (a queue-mode worker's). */
	runElsewhere?: () => Promise<boolean>;
	forgetRun?: () => void;
}): Answer {
	const { acknowledge, n8nStatus, claimedId, heldVersion, stores, save, runStart } = input;
	const settlement = settle(acknowledge, n8nStatus);
	if (!settlement.safe) {
		runStart?.forget();
		input.forgetRun?.();
		input.log([
			{
				level: 'warn',
				message: `event ${claimedId ?? '(test run)'} answered ${settlement.httpStatus}: n8n answered ${n8nStatus}, so the sender will retry it`,
			},
		]);
	}
	if (claimedId === undefined || !stores) return settlement;
	const record = () => {
		const now = input.nowSeconds();
		stores.dedupe.ledger.settle(claimedId, now, settlement.safe);
		if (heldVersion !== undefined)
			stores.versions?.ledger.settle(heldVersion, now, settlement.safe);
	};
	if (!settlement.safe || !runStart) record();
	if (!settlement.safe) return settlement;
	if (!recordsWhenRunStarts(acknowledge)) {
		// The run's own save came before this answer, so the id needs a save of its own, and the
		// 2xx waits for it: Pivotal never sends the event again after it.
		return save ? { ...settlement, after: save() } : settlement;
	}
	// A local run saves the id with its static data. A queue-mode worker's run gets none, so it
	// writes nothing (runElsewhere below); and only this process can write its address, which
	// the other processes route by.
	const saveHere = input.routed || input.firstSave;
	if (!runStart) {
		if (saveHere) void save?.();
		else if (input.runElsewhere) {
			void input.runElsewhere().then((elsewhere) => {
				if (elsewhere) void save?.();
			});
		}
		return settlement;
	}
	// Until the run starts its execution may not exist: the claim and the object's hold stay, so
	// a copy still gets 409, and a newer event about the object waits, so executions are created
	// in the order their events were accepted.
	const started = runStart.wait().then((inTime) => {
		record();
		if (saveHere) void save?.();
		if (inTime) return;
		input.log([
			{
				level: 'warn',
				message: `event ${claimedId}: its run had not started ${RUN_START_WAIT_MS} ms after n8n answered, so the 200 went without it`,
			},
		]);
	});
	return { ...settlement, after: started };
}
