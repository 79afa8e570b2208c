import { objectVersionOf, valueAt, versionToken } from '../nodes/Pivotal/protocol/objectVersion';

const FIELDS = { objectIdField: 'data.object.id', objectVersionField: 'data.object.updated_at' };

function ordered(values: unknown[]): unknown[] {
	return [...values].sort((a, b) => {
		const [x, y] = [versionToken(a), versionToken(b)];
		if (x === undefined || y === undefined)
			throw new Error(`not a version: ${String(a)}, ${String(b)}`);
		return x < y ? -1 : x > y ? 1 : 0;
	});
}

describe('versionToken', () => {
	it('orders ISO 8601 dates by the instant they name, whatever their offset', () => {
		const sameInstant = [
			'2026-12-01T10:00:00Z',
			'2026-12-01T11:00:00+01:00',
			'2026-12-01T11:00:00+0100',
			'2026-12-01 10:00:00z',
			'2026-12-01T05:00:00-05',
		];
		expect(new Set(sameInstant.map(versionToken)).size).toBe(1);
		expect(
			ordered(['2026-12-01T10:05:00Z', '2026-12-01T10:01:00.250Z', '2026-12-01T10:01:00Z']),
		).toEqual(['2026-12-01T10:01:00Z', '2026-12-01T10:01:00.250Z', '2026-12-01T10:05:00Z']);
	});

	it('reads a date or a time without an offset as UTC, not the server time zone', () => {
		expect(versionToken('2026-12-01T10:00:00')).toBe(versionToken('2026-12-01T10:00:00Z'));
		expect(versionToken('2026-12-01')).toBe(versionToken('2026-12-01T00:00:00Z'));
	});

	it('puts epoch seconds, epoch milliseconds and ISO dates of one instant on one scale', () => {
		const instant = Date.parse('2026-12-01T10:00:00Z');
		const tokens = [instant / 1000, instant, String(instant / 1000), '2026-12-01T10:00:00Z'].map(
			versionToken,
		);
		expect(new Set(tokens).size).toBe(1);
		// A fraction of a second in seconds keeps its milliseconds.
		expect(versionToken(instant / 1000 + 0.5)).toBe(versionToken(instant + 500));
		expect(versionToken(`${instant / 1000}.5`)).toBe(versionToken(instant + 500));
	});

	it('orders counters as numbers, not as text', () => {
		expect(ordered([10, 9, '100', 2, 0])).toEqual([0, 2, 9, 10, '100']);
	});

	it('ranks counters (below 10^9) under every timestamp since 2001', () => {
		expect(ordered(['2001-09-10T00:00:00Z', 999_999_999, 5])).toEqual([
			5,
			999_999_999,
			'2001-09-10T00:00:00Z',
		]);
	});

	it('orders digit strings beyond 2^53 exactly, up to 64 bits', () => {
		const big = '18446744073709551615';
		expect(ordered([big, '18446744073709551614', '9007199254740993'])).toEqual([
			'9007199254740993',
			'18446744073709551614',
			big,
		]);
		expect(versionToken('9007199254740993')).not.toBe(versionToken('9007199254740992'));
	});

	it('refuses what is not a version rather than guessing', () => {
		for (const value of [
			undefined,
			null,
			true,
			'',
			'soon',
			'v2',
			-1,
			'-5',
			Number.NaN,
			Number.POSITIVE_INFINITY,
			'2026-13-45T99:99:99Z',
			'1'.repeat(30),
			{ seconds: 1 },
			[1],
		]) {
			expect(versionToken(value)).toBeUndefined();
		}
	});
});

describe('objectVersionOf', () => {
	it('reads the object id and version at the configured dotted paths', () => {
		const event = { data: { object: { id: 'cus_1', updated_at: 5 } } };
		const found = objectVersionOf(event, FIELDS);
		expect(found).toEqual({ ok: true, objectId: 'cus_1', token: versionToken(5) });
		const custom = objectVersionOf(
			{ data: { object: { customer: 42, meta: { revision: '7' } } } },
			{ objectIdField: 'data.object.customer', objectVersionField: 'data.object.meta.revision' },
		);
		expect(custom).toEqual({ ok: true, objectId: '42', token: versionToken(7) });
	});

	it('says which field is missing or unreadable', () => {
		expect(objectVersionOf({ data: { object: {} } }, FIELDS)).toEqual({
			ok: false,
			problem: 'it has no object ID at data.object.id',
		});
		expect(objectVersionOf({ data: { object: { id: 'x' } } }, FIELDS)).toEqual({
			ok: false,
			problem: 'it has no version at data.object.updated_at',
		});
		expect(objectVersionOf({ data: { object: { id: 'x', updated_at: 'later' } } }, FIELDS)).toEqual(
			{
				ok: false,
				problem: 'it has an unreadable version ("later") at data.object.updated_at',
			},
		);
	});

	it('does not walk into arrays or through missing levels', () => {
		expect(valueAt({ data: [{ id: 1 }] }, 'data.0.id')).toBeUndefined();
		expect(valueAt({ data: null }, 'data.object')).toBeUndefined();
		expect(valueAt({ a: { b: 0 } }, 'a.b')).toBe(0);
	});
});
