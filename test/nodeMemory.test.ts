import { NodeMemory } from '../nodes/Pivotal/n8n/nodeMemory';

const HOUR = 3600;

function memory(quiet: () => boolean = () => true) {
	return new NodeMemory<{ made: number }>(HOUR, quiet);
}

describe('NodeMemory', () => {
	it('keeps one state per node while it gets requests', () => {
		const held = memory();
		let made = 0;
		const create = () => ({ made: ++made });
		const first = held.of('wf:a', 0, create);
		expect(held.of('wf:a', HOUR - 1, create)).toBe(first);
		expect(held.of('wf:b', HOUR - 1, create)).not.toBe(first);
		expect(held.of('wf:a', 2 * HOUR - 2, create)).toBe(first);
		expect(made).toBe(2);
	});

	it('lets go of a node idle for longer than the bound, on a request to any node', () => {
		const held = memory();
		held.of('wf:idle', 0, () => ({ made: 1 }));
		held.of('wf:busy', HOUR, () => ({ made: 2 }));
		expect(held.size).toBe(1);
		expect(held.of('wf:idle', HOUR + 61, () => ({ made: 3 }))).toEqual({ made: 3 });
	});

	it('keeps an idle node whose state is not quiet (a claim under way, or unsaved ids)', () => {
		let quiet = false;
		const held = memory(() => quiet);
		const state = held.of('wf:a', 0, () => ({ made: 1 }));
		held.of('wf:b', 2 * HOUR, () => ({ made: 2 }));
		expect(held.of('wf:a', 2 * HOUR, () => ({ made: 3 }))).toBe(state);
		quiet = true;
		held.of('wf:b', 4 * HOUR, () => ({ made: 4 }));
		expect(held.size).toBe(1);
	});

	it('lets go at once when the workflow is deactivated, unless a run is still saving', () => {
		let quiet = false;
		const held = memory(() => quiet);
		held.of('wf:a', 0, () => ({ made: 1 }));
		held.release('wf:a', 1);
		expect(held.size).toBe(1);
		quiet = true;
		held.release('wf:a', 2);
		expect(held.size).toBe(0);
	});
});
