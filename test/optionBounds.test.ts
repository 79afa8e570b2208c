import { bounded, optionProblems } from '../nodes/Pivotal/delivery/optionBounds';

describe('the numeric options, given outside their ranges by an expression or the API', () => {
	it('uses the default for an absent value, and says nothing', () => {
		expect(bounded('maxStoredIds', undefined)).toEqual({ value: 100_000 });
		expect(optionProblems({})).toEqual([]);
	});

	it('never turns deduplication off: a cap or retention of 0 becomes the smallest allowed', () => {
		expect(bounded('maxStoredIds', 0)).toEqual({
			value: 1000,
			problem: 'Max Stored Event IDs must be a whole number from 1000 to 1000000, not 0',
		});
		expect(bounded('retentionDays', -3).value).toBe(1);
		expect(bounded('retentionDays', 365).value).toBe(90);
		expect(bounded('toleranceSeconds', 1e9).value).toBe(86_400);
	});

	it('reads numbers given as text, rounds fractions, and refuses what is no number', () => {
		expect(bounded('retentionDays', '14')).toEqual({ value: 14 });
		expect(bounded('retentionDays', 7.5)).toEqual({
			value: 8,
			problem: 'Remember Event IDs for (Days) must be a whole number from 1 to 90, not 7.5',
		});
		expect(bounded('maxStoredIds', 'lots')).toEqual({
			value: 100_000,
			problem: 'Max Stored Event IDs must be a number, not "lots"',
		});
		expect(bounded('maxStoredIds', Number.NaN).value).toBe(100_000);
	});

	it('lists every problem for the activation message', () => {
		expect(optionProblems({ maxStoredIds: 0, retentionDays: 7, toleranceSeconds: 'x' })).toEqual([
			'Max Stored Event IDs must be a whole number from 1000 to 1000000, not 0',
			'Timestamp Tolerance (Seconds) must be a number, not "x"',
		]);
	});
});
