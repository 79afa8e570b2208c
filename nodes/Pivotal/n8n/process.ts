import { randomBytes } from 'node:crypto';
import { sleep } from 'n8n-workflow';

import { nodeKey, ProcessStores } from './nodeStores';
import { RunStarts } from './runStart';

/**
 * How long a run may wait to carry the ids of the runs after it in one save: the most an id
 * stays unsaved (lost by a crash in that time, so its event runs again), and the most a
 * "When the Workflow Succeeds" answer waits for it.
 */
const GROUP_COMMIT_MS = 250;

/**
 * How long after the answer a run of this process's must have started before the run is taken
 * for another process's (a queue-mode worker's): n8n 2.x starts a local run as it answers. A run
 * later than that costs one save request more, nothing else.
 */
export const LOCAL_RUN_WAIT_MS = 300;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every trigger node's state in this process. */
export const processStores = new ProcessStores({
	// 48 random bits: hundreds of writers within a retention never meet the same name.
	newWriterId: () => randomBytes(6).toString('base64url'),
	groupCommitMs: GROUP_COMMIT_MS,
	clockMs: Date.now,
	sleep,
});

/** The runs this process's webhook() answered for and expects to start here (runStart.ts). */
export const runStarts = new RunStarts(sleep);

export function runKeyOf(workflowId: string | undefined, nodeId: string, eventId: string): string {
	return `${nodeKey(workflowId, nodeId)}:${eventId}`;
}

/**
 * Lets n8n serve other requests between the parts of a store's first read, for as long as the
 * part before took: the read then has at most half of n8n's time, and a request waiting on the
 * database is not queued behind one part after another.
 */
export function turnsOfTheEventLoop() {
	let resumedAt = Date.now();
	return async () => {
		await sleep(Date.now() - resumedAt);
		resumedAt = Date.now();
	};
}
