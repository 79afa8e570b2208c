import { createHash } from 'node:crypto';

/**
 * Set on a delivery one webhook process passes to another, so the receiver handles it itself.
 * A sender that sets it only makes its delivery handled where it lands, as without routing.
 */
export const FORWARDED_HEADER = 'x-pivotal-forwarded-by';
/** A process that saved to the store within this long is taken to be running. */
export const PEER_LIVENESS_SECONDS = 600;
/**
 * A routing process whose stored address is older than this writes it again at its next
 * delivery, so peers keep taking it for a live one while it gets deliveries.
 */
export const ADDRESS_REFRESH_SECONDS = PEER_LIVENESS_SECONDS / 2;
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

/** What addressOf gives: a scheme, a host (a name, IPv4, or IPv6 in brackets) and a port. */
const PEER_ADDRESS = /^https?:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\]):[0-9]{1,5}$/i;

/**
 * Whether a peer's address read from static data is one this node would route to: anything else
 * (a path, credentials, a query, a stray value) is ignored, so stored data never points a
 * forward anywhere but at a host and port.
 */
export function isPeerAddress(value: unknown): value is string {
	if (typeof value !== 'string' || !PEER_ADDRESS.test(value)) return false;
	const port = Number(value.slice(value.lastIndexOf(':') + 1));
	return port > 0 && port < 65536;
}
