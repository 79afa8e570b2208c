import { addressOf, ownerOf } from '../nodes/Pivotal/delivery/eventOwner';

const A = 'http://10.0.0.1:5678';
const B = 'http://10.0.0.2:5678';
const C = 'http://10.0.0.3:5678';

describe('ownerOf', () => {
	it('picks the same process for an event whichever process asks', () => {
		for (let i = 0; i < 200; i++) {
			const id = `evt_${i}`;
			expect(ownerOf(id, A, [B])).toBe(ownerOf(id, B, [A]));
			expect(ownerOf(id, A, [B, C])).toBe(ownerOf(id, C, [B, A]));
		}
	});

	it('spreads events over the processes', () => {
		const counts = new Map<string, number>();
		for (let i = 0; i < 3000; i++) {
			const owner = ownerOf(`evt_${i}`, A, [B, C]);
			counts.set(owner, (counts.get(owner) ?? 0) + 1);
		}
		for (const address of [A, B, C]) expect(counts.get(address)).toBeGreaterThan(800);
	});

	it('moves only the events of a process that joins or leaves', () => {
		for (let i = 0; i < 500; i++) {
			const id = `evt_${i}`;
			const withC = ownerOf(id, A, [B, C]);
			if (withC !== C) expect(ownerOf(id, A, [B])).toBe(withC);
		}
	});

	it('keeps everything when there are no peers', () => {
		expect(ownerOf('evt_1', A, [])).toBe(A);
	});
});

describe('addressOf', () => {
	it('is where a peer reaches the socket this request came in on', () => {
		expect(addressOf({ localAddress: '10.0.0.1', localPort: 5678 })).toBe(A);
		expect(addressOf({ localAddress: '::ffff:127.0.0.1', localPort: 80 })).toBe(
			'http://127.0.0.1:80',
		);
		expect(addressOf({ localAddress: 'fd00::1', localPort: 443, encrypted: true })).toBe(
			'https://[fd00::1]:443',
		);
		expect(addressOf({})).toBeUndefined();
	});
});
