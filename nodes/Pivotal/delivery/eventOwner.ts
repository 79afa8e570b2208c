import { createHash } from 'node:crypto';

/**
 * Set on a delivery one webhook process passes to another, so the receiver handles it itself.
 * A sender that sets it only makes its delivery handled where it lands, as without routing.
 */
export const FORWARDED_HEADER = 'x-pivotal-forwarded-by';
/** Pivotal wants an answer within 10 s; past this the sender is told to retry. */
export const FORWARD_TIMEOUT_MS = 6000;

function score(address: string, eventId: string): string {
	return createHash('sha256').update(`${address}\n${eventId}`).digest('hex');
}

/**
 * Which process handles an event: the highest-scoring address (rendezvous hashing), so every
 * process that knows the same peers picks the same one, and a process joining or leaving moves
 * only the events it wins or held.
 */
export function ownerOf(eventId: string, self: string, peers: readonly string[]): string {
	let owner = self;
	let best = score(self, eventId);
	for (const peer of peers) {
		const candidate = score(peer, eventId);
		if (candidate > best || (candidate === best && peer < owner)) {
			owner = peer;
			best = candidate;
		}
	}
	return owner;
}

/** The address a peer reaches this process at: the local end of the connection it got. */
export function addressOf(socket: {
	localAddress?: string;
	localPort?: number;
	encrypted?: boolean;
}): string | undefined {
	const { localAddress, localPort } = socket;
	if (!localAddress || !localPort) return undefined;
	const host = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
	const scheme = socket.encrypted ? 'https' : 'http';
	return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${localPort}`;
}
