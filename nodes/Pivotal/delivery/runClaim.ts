import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

/**
 * How an accepted delivery's claim (its event id, and the version its object reaches) travels
 * from webhook() to the run's first step, execute(), in the process that runs it (a queue-mode
 * worker, maybe): inside the run's input, the only thing that reaches it. The run records what
 * it carries as processed, so it must come from this node's webhook(): the field is tagged with
 * a key made from the signing secret, and fields of this prefix in an event are dropped.
 */
export const CLAIM_FIELD = '__pivotalTriggerClaim';
const INTERNAL_PREFIX = '__pivotalTrigger';
const TAG_CONTEXT = 'pivotal-trigger-run-claim';

export interface RunClaim {
	eventId: string;
	/** The object's version entry (Skip Out-of-Order Events). */
	version?: string;
}

function tagOf(key: Buffer, { eventId, version }: RunClaim): Buffer {
	return createHmac('sha256', key)
		.update(`${TAG_CONTEXT}\0${eventId}\0${version ?? ''}`)
		.digest();
}

/** The claim as the run's input carries it. */
export function sealClaim(key: Buffer, claim: RunClaim): IDataObject {
	return {
		eventId: claim.eventId,
		...(claim.version !== undefined && { version: claim.version }),
		tag: tagOf(key, claim).toString('base64url'),
	};
}

/** The claim an item carries, if one of the keys tagged it; never throws. */
export function openClaim(keys: readonly Buffer[], sealed: unknown): RunClaim | undefined {
	if (typeof sealed !== 'object' || sealed === null) return undefined;
	const { eventId, version, tag } = sealed as Record<string, unknown>;
	if (typeof eventId !== 'string' || typeof tag !== 'string') return undefined;
	if (version !== undefined && typeof version !== 'string') return undefined;
	const claim: RunClaim = version === undefined ? { eventId } : { eventId, version };
	const given = Buffer.from(tag, 'base64url');
	const valid = keys.some((key) => {
		const expected = tagOf(key, claim);
		return given.length === expected.length && timingSafeEqual(given, expected);
	});
	return valid ? claim : undefined;
}

/** The item without any field of the node's own prefix: an event cannot pass one off as the node's. */
export function withoutInternalFields(json: IDataObject): IDataObject {
	if (!Object.keys(json).some((name) => name.startsWith(INTERNAL_PREFIX))) return json;
	return Object.fromEntries(
		Object.entries(json).filter(([name]) => !name.startsWith(INTERNAL_PREFIX)),
	) as IDataObject;
}
