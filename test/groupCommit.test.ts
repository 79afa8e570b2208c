import { GroupCommit } from '../nodes/Pivotal/n8n/groupCommit';

/** A clock the test moves, and sleeps that end when the test says. */
function controlled() {
	let now = 1_000_000;
	const sleepers: Array<{ until: number; wake: () => void }> = [];
	return {
		clock: () => now,
		sleep: (ms: number) =>
			new Promise<void>((wake) => {
				sleepers.push({ until: now + ms, wake });
			}),
		async advance(ms: number) {
			now += ms;
			for (const sleeper of sleepers.splice(0)) {
				if (sleeper.until <= now) sleeper.wake();
				else sleepers.push(sleeper);
			}
			await Promise.resolve();
		},
	};
}

describe('GroupCommit', () => {
	it('commits at once after a quiet window', async () => {
		const time = controlled();
		const commit = new GroupCommit(200, time.clock, time.sleep);
		expect(await commit.join()).toBe(true);
		await time.advance(250);
		expect(await commit.join()).toBe(true);
	});

	it('lets one run per window commit for every run that joined meanwhile', async () => {
		const time = controlled();
		const commit = new GroupCommit(200, time.clock, time.sleep);
		expect(await commit.join()).toBe(true);
		await time.advance(10);
		const waiting = commit.join();
		const others = await Promise.all([commit.join(), commit.join(), commit.join()]);
		expect(others).toEqual([false, false, false]);
		let committed: boolean | undefined;
		void waiting.then((result) => (committed = result));
		await time.advance(100);
		expect(committed).toBeUndefined();
		await time.advance(90);
		expect(committed).toBe(true);
		// A run that joins after that commit is carried by the next one, a window later.
		const next = commit.join();
		await time.advance(199);
		await time.advance(1);
		expect(await next).toBe(true);
	});
});
