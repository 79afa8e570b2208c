import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

import type { DeliveryOutcome, LogLine } from '../delivery/outcome';
import { CLAIM_FIELD, sealClaim } from '../delivery/runClaim';
import { recordsWhenRunStarts, type AcknowledgeMode } from './acknowledge';
import { answerInPlaceOfN8n, type AnswerableResponse } from './answerInPlaceOfN8n';
import { answersBeforeExecutionExists } from './context';
import type { NodeStores } from './nodeStores';
import { LOCAL_RUN_WAIT_MS, nowSeconds, runKeyOf, runStarts } from './process';
import { RUN_START_WAIT_MS, settleOnAnswer } from './settlement';

/**
 * A delivery that starts a run: n8n answers when Acknowledge says the event is safe, and the
 * claimed id is recorded only then (settlement.ts). n8n 2.x drops static-data changes made in
 * webhook() on this path, so the run itself writes the store (the node's execute()), told what
 * to record by a claim sealed into its item. Returns the item to run with.
 */
export function startRun(
	context: IWebhookFunctions,
	run: {
		outcome: DeliveryOutcome & { item: IDataObject };
		acknowledge: AcknowledgeMode;
		stores: NodeStores | undefined;
		routed: boolean;
		log: (lines: LogLine[]) => void;
		save?: () => Promise<void>;
		/** The key claims are sealed with: the current signing secret's. */
		sealKey?: Buffer;
	},
): IDataObject {
	const { item, claimedId, heldVersion } = run.outcome;
	const { acknowledge, stores } = run;
	const recordedByRun = claimedId !== undefined && recordsWhenRunStarts(acknowledge);
	const watchedRun = recordedByRun
		? runKeyOf(context.getWorkflow().id, context.getNode().id, claimedId)
		: undefined;
	if (watchedRun) runStarts.expect(watchedRun);
	const runKey = answersBeforeExecutionExists(context) ? watchedRun : undefined;
	const res = context.getResponseObject() as unknown as AnswerableResponse;
	answerInPlaceOfN8n(res, (n8nStatus) =>
		settleOnAnswer({
			acknowledge,
			n8nStatus,
			claimedId,
			heldVersion,
			stores,
			routed: run.routed,
			firstSave: stores?.dedupe.stored === undefined,
			log: run.log,
			nowSeconds,
			save: run.save,
			runStart: runKey
				? {
						wait: async () => await runStarts.wait(runKey, RUN_START_WAIT_MS),
						forget: () => runStarts.forget(runKey),
					}
				: undefined,
			// In queue mode the run is a worker's, which gets no static data and so writes no store:
			// this process, which recorded the id at the answer, saves it.
			runElsewhere:
				watchedRun && !runKey
					? async () => !(await runStarts.wait(watchedRun, LOCAL_RUN_WAIT_MS))
					: undefined,
			forgetRun: watchedRun ? () => runStarts.forget(watchedRun) : undefined,
		}),
	);
	if (claimedId === undefined || !run.sealKey) return item;
	return {
		...item,
		[CLAIM_FIELD]: sealClaim(run.sealKey, { eventId: claimedId, version: heldVersion }),
	};
}
