/**
 * The numeric options' ranges. The editor keeps typed values inside them, but an expression or
 * a workflow written through the API is not held to the editor's limits, and a value outside
 * them could quietly turn deduplication off (a cap of 0 keeps nothing; a retention of 0 forgets
 * at once). Activation refuses such a value; a delivery uses the nearest value in range.
 */
export const OPTION_BOUNDS = {
	maxStoredIds: { label: 'Max Stored Event IDs', min: 1000, max: 1_000_000, fallback: 100_000 },
	retentionDays: { label: 'Remember Event IDs for (Days)', min: 1, max: 90, fallback: 7 },
	toleranceSeconds: { label: 'Timestamp Tolerance (Seconds)', min: 1, max: 86_400, fallback: 300 },
} as const;

export type BoundedOption = keyof typeof OPTION_BOUNDS;

/** The value to use, and what was wrong with the one given (absent is not wrong: the default). */
export function bounded(name: BoundedOption, value: unknown): { value: number; problem?: string } {
	const { label, min, max, fallback } = OPTION_BOUNDS[name];
	if (value === undefined || value === null || value === '') return { value: fallback };
	const number = typeof value === 'string' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isFinite(number)) {
		return { value: fallback, problem: `${label} must be a number, not ${JSON.stringify(value)}` };
	}
	const inRange = Math.min(max, Math.max(min, Math.round(number)));
	return inRange === number
		? { value: inRange }
		: {
				value: inRange,
				problem: `${label} must be a whole number from ${min} to ${max}, not ${number}`,
			};
}

/** What is wrong with the numeric options, one sentence each; empty when nothing is. */
export function optionProblems(options: Partial<Record<BoundedOption, unknown>>): string[] {
	return (Object.keys(OPTION_BOUNDS) as BoundedOption[]).flatMap((name) => {
		const { problem } = bounded(name, options[name]);
		return problem === undefined ? [] : [problem];
	});
}
