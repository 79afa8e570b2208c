import { compileEventTypeFilter } from '../nodes/Pivotal/protocol/eventTypeFilter';

function matcher(events: string) {
	const filter = compileEventTypeFilter(events);
	if (!filter.ok) throw new Error(filter.problem);
	return filter.matches;
}

describe('compileEventTypeFilter', () => {
	it('lets every event through with *', () => {
		const matches = matcher('*');
		expect(['invoice.paid', 'customer.deleted', '', 'x'].every(matches)).toBe(true);
	});

	it('matches a prefix pattern', () => {
		const matches = matcher('invoice.*');
		expect(matches('invoice.paid')).toBe(true);
		expect(matches('invoice.payment.failed')).toBe(true);
		expect(matches('invoice.')).toBe(true);
		expect(matches('invoices.paid')).toBe(false);
		expect(matches('customer.created')).toBe(false);
	});

	it('matches a suffix pattern', () => {
		const matches = matcher('*.deleted');
		expect(matches('customer.deleted')).toBe(true);
		expect(matches('invoice.item.deleted')).toBe(true);
		expect(matches('customer.deleted.later')).toBe(false);
	});

	it('matches an exact type only exactly', () => {
		const matches = matcher('invoice.paid');
		expect(matches('invoice.paid')).toBe(true);
		expect(matches('invoice.paid2')).toBe(false);
		expect(matches('xinvoice.paid')).toBe(false);
	});

	it('takes several patterns separated by commas, with spaces around them', () => {
		const matches = matcher(' invoice.paid , customer.* ,,');
		expect(matches('invoice.paid')).toBe(true);
		expect(matches('customer.updated')).toBe(true);
		expect(matches('invoice.voided')).toBe(false);
	});

	it('treats a star in the middle and several stars as wildcards', () => {
		const matches = matcher('invoice.*.failed,a*b*c');
		expect(matches('invoice.payment.failed')).toBe(true);
		expect(matches('invoice..failed')).toBe(true);
		expect(matches('invoice.failed')).toBe(false);
		expect(matches('aXbYc')).toBe(true);
		expect(matches('abc')).toBe(true);
		expect(matches('acb')).toBe(false);
	});

	it('treats regex characters literally', () => {
		const matches = matcher('invoice.paid');
		expect(matches('invoiceXpaid')).toBe(false);
		expect(matcher('a+b')('aab')).toBe(false);
		expect(matcher('a+b')('a+b')).toBe(true);
	});

	it('is case-sensitive, as event types are', () => {
		expect(matcher('invoice.paid')('Invoice.Paid')).toBe(false);
	});

	it('stays fast on a pattern that makes backtracking regexes explode', () => {
		const matches = matcher('*a*a*a*a*a*a*a*a*b');
		expect(matches('a'.repeat(5000))).toBe(false);
	});

	it.each(['', '  ', ',', ' , ,'])(
		'reports an empty list (%j) instead of dropping every event',
		(events) => {
			const filter = compileEventTypeFilter(events);
			expect(filter).toEqual({ ok: false, problem: expect.stringContaining('Events is empty') });
		},
	);

	it('reports a non-string value as empty', () => {
		expect(compileEventTypeFilter(undefined).ok).toBe(false);
	});
});
