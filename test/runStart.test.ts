import { RunStarts } from '../nodes/Pivotal/n8n/runStart';

/** Sleeps that end only when the test says. */
function controlledSleep() {
	const sleepers: Array<() => void> = [];
	return {
		sleep: async () => await new Promise<void>((wake) => sleepers.push(wake)),
		wakeAll: () => sleepers.splice(0).forEach((wake) => wake()),
	};
}

describe('RunStarts', () => {
	it('an answer waiting for its run goes once the run starts', async () => {
		const time = controlledSleep();
		const starts = new RunStarts(time.sleep);
		starts.expect('wf:node:evt_1');
		const waiting = starts.wait('wf:node:evt_1', 2000);
		let answered: boolean | undefined;
		void waiting.then((inTime) => (answered = inTime));
		await Promise.resolve();
		expect(answered).toBeUndefined();
		starts.begin('wf:node:evt_1');
		expect(await waiting).toBe(true);
		expect(starts.waiting).toBe(0);
	});

	it('a run that started before the answer lets it go at once', async () => {
		const starts = new RunStarts(controlledSleep().sleep);
		starts.expect('k');
		starts.begin('k');
		expect(await starts.wait('k', 2000)).toBe(true);
	});

	it('gives up after the timeout when the run never starts here, and forgets the key', async () => {
		const time = controlledSleep();
		const starts = new RunStarts(time.sleep);
		starts.expect('k');
		const waiting = starts.wait('k', 2000);
		time.wakeAll();
		expect(await waiting).toBe(false);
		expect(starts.waiting).toBe(0);
	});

	it('an answer nothing was expected for is not held', async () => {
		const starts = new RunStarts(controlledSleep().sleep);
		expect(await starts.wait('unknown', 2000)).toBe(true);
	});

	it('forgets a run n8n could not start', () => {
		const starts = new RunStarts(controlledSleep().sleep);
		starts.expect('k');
		starts.forget('k');
		expect(starts.waiting).toBe(0);
	});
});
