/**
 * Which object an event is about and how new its state is, read from the envelope by the
 * paths the user set. Versions become one ordered scale: timestamps in epoch milliseconds,
 * counters as they are.
 */

/** Where an event names its object and that object's version, unless the user says otherwise. */
export const DEFAULT_OBJECT_ID_FIELD = 'data.object.id';
export const DEFAULT_OBJECT_VERSION_FIELD = 'data.object.updated_at';

/** Numbers from here on are epoch seconds: 2001-09-09 in seconds, 1973 in milliseconds. */
const EPOCH_SECONDS_FROM = 1e9;
/** Numbers from here on are epoch milliseconds (or larger counts): the year 5138 in seconds. */
const EPOCH_MILLISECONDS_FROM = 1e11;
/** A version as 13 base-36 digits covers every unsigned 64-bit value, so tokens compare as strings. */
export const VERSION_TOKEN_CHARS = 13;
const LARGEST_VERSION = 36n ** BigInt(VERSION_TOKEN_CHARS) - 1n;

const DIGITS = /^\d+$/;
const DECIMAL = /^\d+\.\d+$/;
const ISO_8601 =
	/^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export type ObjectVersion =
	| { ok: true; objectId: string; token: string }
	| { ok: false; problem: string };

/**
 * The value at a dotted path such as `data.object.id`; undefined where the path leads nowhere.
 * @internal Exported for the tests.
 */
export function valueAt(root: unknown, path: string): unknown {
	let value = root;
	for (const key of path.split('.')) {
		if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
		value = (value as Record<string, unknown>)[key.trim()];
	}
	return value;
}

/** Milliseconds since the epoch; a time without an offset is read as UTC, not the server's zone. */
function isoMilliseconds(text: string): number | undefined {
	const match = ISO_8601.exec(text);
	if (!match) return undefined;
	const [, date, time, offset] = match;
	if (time === undefined) return Date.parse(`${date}T00:00:00Z`);
	let zone = (offset ?? 'Z').toUpperCase();
	if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
	else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
	const ms = Date.parse(`${date}T${time.replace(',', '.')}${zone}`);
	return Number.isNaN(ms) ? undefined : ms;
}

/** Whole numbers by magnitude: counters, then epoch seconds (scaled to ms), then ms or larger. */
function scaled(whole: bigint, thousandths: bigint): bigint {
	if (whole < BigInt(EPOCH_SECONDS_FROM)) return whole;
	if (whole < BigInt(EPOCH_MILLISECONDS_FROM)) return whole * 1000n + thousandths;
	return whole;
}

function numericVersion(value: number | string): bigint | undefined {
	if (typeof value === 'string') {
		if (DIGITS.test(value)) return scaled(BigInt(value), 0n);
		if (!DECIMAL.test(value)) return undefined;
		value = Number(value);
	}
	if (!Number.isFinite(value) || value < 0) return undefined;
	const whole = Math.floor(value);
	return scaled(BigInt(whole), BigInt(Math.floor((value - whole) * 1000)));
}

/**
 * The version as a fixed-width token that orders as the versions do; undefined when the value
 * is not a version: not a non-negative number, digit string or ISO 8601 date, or beyond 64 bits.
 * @internal Exported for the tests.
 */
export function versionToken(value: unknown): string | undefined {
	let version: bigint | undefined;
	if (typeof value === 'number') version = numericVersion(value);
	else if (typeof value === 'string') {
		const text = value.trim();
		const ms = isoMilliseconds(text);
		version = ms !== undefined ? (ms >= 0 ? BigInt(ms) : undefined) : numericVersion(text);
	}
	if (version === undefined || version > LARGEST_VERSION) return undefined;
	return version.toString(36).padStart(VERSION_TOKEN_CHARS, '0');
}

/** The object an event is about and its version, or why the event cannot be ordered. */
export function objectVersionOf(
	envelope: unknown,
	fields: { objectIdField: string; objectVersionField: string },
): ObjectVersion {
	const id = valueAt(envelope, fields.objectIdField);
	const objectId =
		typeof id === 'string' && id !== ''
			? id
			: typeof id === 'number' && Number.isFinite(id)
				? String(id)
				: undefined;
	if (objectId === undefined) {
		return { ok: false, problem: `it has no object ID at ${fields.objectIdField}` };
	}
	const raw = valueAt(envelope, fields.objectVersionField);
	const token = versionToken(raw);
	if (token === undefined) {
		const what =
			raw === undefined
				? 'no version'
				: `an unreadable version (${String(JSON.stringify(raw)).slice(0, 40)})`;
		return { ok: false, problem: `it has ${what} at ${fields.objectVersionField}` };
	}
	return { ok: true, objectId, token };
}
