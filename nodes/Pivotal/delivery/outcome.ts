import type { IDataObject } from 'n8n-workflow';

/** A line for n8n's log; the node adds its own name and the workflow's id. */
export type LogLine = { level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export const DELIVERY_STATUSES = [
	'accepted',
	'duplicate',
	'ignored',
	'rejected',
	'invalid',
	'misconfigured',
	'busy',
	'in-progress',
	'failed',
	'saved',
	'stale',
] as const;

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What a delivery gets: the answer, and with it what the node is to run and settle. */
export interface DeliveryOutcome {
	httpStatus: number;
	body: { status: DeliveryStatus; message?: string };
	/** The workflow's input; present only when the delivery starts an execution. */
	item?: IDataObject;
	/**
	 * With `item`, when the delivery is deduplicated: the event id it claimed, to be settled once
	 * the run is safe or has failed (see n8n/settlement.ts).
	 */
	claimedId?: string;
	/** With `claimedId`, when the event is ordered: its object's version, settled with the id. */
	heldVersion?: string;
	/**
	 * The address of the process that handles this event; nothing was recorded. Pass it on
	 * there, or admit it here without a route when that fails (see admission.ts).
	 */
	forwardTo?: string;
	log: LogLine[];
}

export type Answer = Pick<DeliveryOutcome, 'httpStatus' | 'body'>;

export const MISCONFIGURED: DeliveryOutcome['body'] = {
	status: 'misconfigured',
	message: 'The trigger is misconfigured; see the n8n log',
};
