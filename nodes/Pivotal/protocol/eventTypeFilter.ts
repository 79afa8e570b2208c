export type EventTypeFilter =
	| { ok: true; patterns: string[]; matches: (eventType: string) => boolean }
	| { ok: false; problem: string };

/** Wildcard match where `*` stands for any run of characters, in time linear in practice. */
function wildcardMatch(pattern: string, text: string): boolean {
	let p = 0;
	let t = 0;
	let starAt = -1;
	let resumeAt = 0;
	while (t < text.length) {
		if (p < pattern.length && pattern[p] === '*') {
			starAt = p++;
			resumeAt = t;
		} else if (p < pattern.length && pattern[p] === text[t]) {
			p++;
			t++;
		} else if (starAt !== -1) {
			p = starAt + 1;
			t = ++resumeAt;
		} else {
			return false;
		}
	}
	while (p < pattern.length && pattern[p] === '*') p++;
	return p === pattern.length;
}

/**
 * Compiles the node's `events` parameter: comma-separated event-type patterns. An empty list is
 * a mistake, not "nothing": it would silently drop every event, so it is reported instead.
 */
export function compileEventTypeFilter(events: unknown): EventTypeFilter {
	const patterns = (typeof events === 'string' ? events : '')
		.split(',')
		.map((pattern) => pattern.trim())
		.filter((pattern) => pattern !== '');
	if (patterns.length === 0) {
		return {
			ok: false,
			problem: 'Events is empty: enter * to receive every event, or event types such as invoice.*',
		};
	}
	if (patterns.includes('*')) {
		return { ok: true, patterns, matches: () => true };
	}
	return {
		ok: true,
		patterns,
		matches: (eventType) => patterns.some((pattern) => wildcardMatch(pattern, eventType)),
	};
}
