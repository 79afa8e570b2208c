'use strict';

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs tasks with at most `limit` in flight; results keep the tasks' order. */
async function mapLimit(items, limit, task) {
	const results = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await task(items[index], index);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
	return results;
}

module.exports = { mapLimit, sleep };
