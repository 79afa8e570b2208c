/**
 * The address book the store carries for Route by Event ID: each writer entry may hold the
 * address its process is reached at (addressOf in delivery/eventOwner.ts) and when it last
 * wrote. Read here, so stored data is checked before anything routes by it.
 */

/** A process that saved to the store within this long is taken to be running. */
export const PEER_LIVENESS_SECONDS = 600;
/**
 * A routing process whose stored address is older than this writes it again at its next
 * delivery, so peers keep taking it for a live one while it gets deliveries.
 */
export const ADDRESS_REFRESH_SECONDS = PEER_LIVENESS_SECONDS / 2;

/** What addressOf (delivery/eventOwner.ts) gives: a scheme, a host (a name, IPv4, or IPv6 in brackets) and a port. */
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
