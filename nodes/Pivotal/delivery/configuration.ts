import { compileEventTypeFilter, type EventTypeFilter } from '../protocol/eventTypeFilter';
import { DEFAULT_OBJECT_ID_FIELD, DEFAULT_OBJECT_VERSION_FIELD } from '../protocol/objectVersion';
import { parseSigningSecret } from '../protocol/signingSecret';
import type { DedupeLimits } from '../stores/dedupeLedger';
import { bounded } from './optionBounds';
import type { LogLine } from './outcome';

/** The node's Options, as n8n hands them over: any of them may be missing or out of range. */
export interface TriggerOptions {
	output?: 'event' | 'object';
	includeDeliveryMetadata?: boolean;
	toleranceSeconds?: number;
	retentionDays?: number;
	maxStoredIds?: number;
	routeToOneProcess?: boolean;
	skipStale?: boolean;
	objectIdField?: string;
	objectVersionField?: string;
}

export interface DeliverySettings extends DedupeLimits {
	toleranceSeconds: number;
	/** How long an accepted delivery holds its event id while its run is not yet safe. */
	claimHoldSeconds: number;
	output: 'event' | 'object';
	includeDeliveryMetadata: boolean;
	/** Where an event names its object and that object's version (Skip Out-of-Order Events). */
	ordering?: { objectIdField: string; objectVersionField: string };
}

const SECONDS_PER_DAY = 86_400;

/** The settings a delivery uses: every number in its range (see optionBounds.ts). */
export function settingsFrom(options: TriggerOptions, claimHoldSeconds: number): DeliverySettings {
	return {
		output: options.output ?? 'event',
		includeDeliveryMetadata: options.includeDeliveryMetadata ?? false,
		toleranceSeconds: bounded('toleranceSeconds', options.toleranceSeconds).value,
		retentionSeconds: bounded('retentionDays', options.retentionDays).value * SECONDS_PER_DAY,
		maxIds: bounded('maxStoredIds', options.maxStoredIds).value,
		claimHoldSeconds,
		ordering: options.skipStale
			? {
					objectIdField: options.objectIdField?.trim() || DEFAULT_OBJECT_ID_FIELD,
					objectVersionField: options.objectVersionField?.trim() || DEFAULT_OBJECT_VERSION_FIELD,
				}
			: undefined,
	};
}

export interface SigningKeys {
	/** The keys a signature may be made with: the current secret's, then the previous one's. */
	keys: Buffer[];
	/** The current secret's key, which signs the node's own save requests. */
	current?: Buffer;
	/** What is wrong with the secrets, said with every delivery until it is fixed. */
	problems: LogLine[];
}

/** The credential's secrets as keys; a blank Previous Signing Secret is no secret, not a problem. */
export function signingKeysOf(signingSecret: unknown, previousSigningSecret: unknown): SigningKeys {
	const keys: Buffer[] = [];
	const problems: LogLine[] = [];
	const current = parseSigningSecret(signingSecret);
	if (current.ok) keys.push(current.key);
	else problems.push({ level: 'error', message: `Signing Secret: ${current.problem}` });
	if (typeof previousSigningSecret === 'string' && previousSigningSecret.trim() !== '') {
		const previous = parseSigningSecret(previousSigningSecret);
		if (previous.ok) keys.push(previous.key);
		else problems.push({ level: 'error', message: `Previous Signing Secret: ${previous.problem}` });
	}
	return { keys, current: current.ok ? current.key : undefined, problems };
}

/** Everything a delivery needs from the node's credential and parameters, read once per request. */
export interface NodeConfiguration extends SigningKeys {
	filter: EventTypeFilter;
	settings: DeliverySettings;
}

export function readConfiguration(input: {
	signingSecret: unknown;
	previousSigningSecret: unknown;
	events: unknown;
	settings: DeliverySettings;
}): NodeConfiguration {
	return {
		...signingKeysOf(input.signingSecret, input.previousSigningSecret),
		filter: compileEventTypeFilter(input.events),
		settings: input.settings,
	};
}
