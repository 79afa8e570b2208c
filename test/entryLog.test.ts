import { CHARS_PER_TURN, EntryLog } from '../nodes/Pivotal/stores/entryLog';
import {
	BUCKET_SECONDS,
	type EntryHooks,
	type EntryLogFormat,
} from '../nodes/Pivotal/stores/storedState';

const FORMAT: EntryLogFormat = {
	version: 9,
	readable: [9],
	entryChars: 8,
	bucketPattern: /^[0-9a-z]*$/,
	name: 'test',
};
const NOW = Math.floor(1_780_000_000 / BUCKET_SECONDS) * BUCKET_SECONDS;

/** Hooks over a plain set that count how many stored entries the log hands them. */
function countingHooks() {
	const held = new Set<string>();
	const hooks: EntryHooks & { read: number } = {
		read: 0,
		absorb(entry) {
			hooks.read++;
			if (held.has(entry)) return false;
			held.add(entry);
			return true;
		},
		dropped: (entry) => held.delete(entry),
	};
	return { held, hooks };
}

const entryOf = (n: number) => n.toString(36).padStart(FORMAT.entryChars, '0');

describe('EntryLog', () => {
	it("reads a first read's parts once: the writer's next save is read from where the parts ended", async () => {
		const writer = new EntryLog('a', FORMAT, countingHooks().hooks);
		const hours = 10;
		const perHour = Math.ceil((3 * CHARS_PER_TURN) / FORMAT.entryChars / hours);
		for (let i = 0; i < hours * perHour; i++) {
			writer.record(entryOf(i), NOW - (hours - Math.floor(i / perHour)) * BUCKET_SECONDS);
		}
		const stored = () => JSON.parse(JSON.stringify(writer.persistent())) as unknown;

		const { held, hooks } = countingHooks();
		const reader = new EntryLog('b', FORMAT, hooks);
		let pauses = 0;
		await reader.firstRead(stored(), async () => {
			pauses++;
		});
		expect(pauses).toBeGreaterThanOrEqual(2);
		expect(held.size).toBe(hours * perHour);
		expect(hooks.read).toBe(hours * perHour);

		writer.record(entryOf(hours * perHour), NOW - BUCKET_SECONDS);
		expect(reader.sync(stored(), NOW)).toMatchObject({ absorbed: 1 });
		// Only the new entry was read: none of the parts read before were read again.
		expect(hooks.read).toBe(hours * perHour + 1);
	});

	it('reads again after a first read that failed, rather than failing for ever', async () => {
		const writer = new EntryLog('a', FORMAT, countingHooks().hooks);
		for (let i = 0; i < 2 * (CHARS_PER_TURN / FORMAT.entryChars); i++)
			writer.record(entryOf(i), NOW);
		writer.record(entryOf(999_999), NOW + BUCKET_SECONDS);
		const stored = JSON.parse(JSON.stringify(writer.persistent())) as unknown;
		const { held, hooks } = countingHooks();
		const reader = new EntryLog('b', FORMAT, hooks);
		await expect(
			reader.firstRead(stored, async () => {
				throw new Error('the process is shutting down');
			}),
		).rejects.toThrow('shutting down');
		expect(reader.firstReadPending).toBe(true);
		await reader.firstRead(stored, async () => {});
		expect(reader.firstReadPending).toBe(false);
		expect(held.size).toBe(writer.size);
	});

	it('counts no first read done for a copy without the store: the next copy is read in turns', async () => {
		const reader = new EntryLog('b', FORMAT, countingHooks().hooks);
		await reader.firstRead(undefined, async () => {});
		expect(reader.firstReadPending).toBe(true);
	});
});
