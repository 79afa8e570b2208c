'use strict';

/** Hand-written SVG charts: the benchmarks must not need a chart dependency. */

const COLORS = ['#1f6feb', '#d97706', '#16a34a', '#9333ea'];
const FONT = 'font-family="system-ui, sans-serif"';

function escape(text) {
	return String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates to 0.1 px: enough for a chart, and the committed files stay readable. */
function px(value) {
	return Math.round(value * 10) / 10;
}

function text(
	x,
	y,
	content,
	{ size = 12, anchor = 'start', weight = 'normal', fill = '#222' } = {},
) {
	return `<text x="${px(x)}" y="${px(y)}" ${FONT} font-size="${size}" text-anchor="${anchor}" font-weight="${weight}" fill="${fill}">${escape(content)}</text>`;
}

function niceMax(value) {
	if (!(value > 0)) return 1;
	const magnitude = 10 ** Math.floor(Math.log10(value));
	const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value);
	return step * magnitude;
}

function frame(width, height, title, body) {
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
		`<rect width="${width}" height="${height}" fill="#fff"/>`,
		text(width / 2, 22, title, { size: 15, anchor: 'middle', weight: 'bold' }),
		...body,
		'</svg>',
		'',
	].join('\n');
}

function axis({ left, top, plotWidth, plotHeight, max, unit, ticks = 4 }) {
	const parts = [];
	for (let i = 0; i <= ticks; i++) {
		const value = (max * i) / ticks;
		const y = px(top + plotHeight - (plotHeight * i) / ticks);
		parts.push(
			`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
			text(left - 6, y + 4, `${+value.toPrecision(3)}`, { size: 11, anchor: 'end' }),
		);
	}
	parts.push(
		text(14, top + plotHeight / 2, unit, { size: 11, anchor: 'middle' }).replace(
			'<text ',
			`<text transform="rotate(-90 14 ${top + plotHeight / 2})" `,
		),
	);
	return parts;
}

/** Legend entries side by side, each as wide as its label (about 6.5 px a character at 12 px). */
function legend(names, left, y) {
	let x = left;
	return names.flatMap((name, i) => {
		const entry = [
			`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
			text(x + 18, y, name, { size: 12 }),
		];
		x += 18 + name.length * 6.5 + 16;
		return entry;
	});
}

/** The chart's size and its plotting area, scaled so every value (and the reference) fits. */
function plotArea(values, reference, rightMargin) {
	const width = 640;
	const height = 360;
	const left = 70;
	const top = 56;
	return {
		width,
		height,
		left,
		top,
		plotWidth: width - left - rightMargin,
		plotHeight: height - top - 60,
		max: niceMax(Math.max(...values, reference?.value ?? 0) * 1.1),
	};
}

/**
 * Grouped bars: groups [{ label, values: [number per series] }], one colour per series.
 * `reference` draws a dashed horizontal line (a target) at that value.
 */
function barChart({ title, unit, series, groups, reference }) {
	const { width, height, left, top, plotWidth, plotHeight, max } = plotArea(
		groups.flatMap((g) => g.values),
		reference,
		20,
	);
	const body = [
		...legend(series, left, 44),
		...axis({ left, top, plotWidth, plotHeight, max, unit }),
	];
	const groupWidth = plotWidth / groups.length;
	const barWidth = Math.min(60, (groupWidth * 0.7) / series.length);
	groups.forEach((group, g) => {
		const start = left + g * groupWidth + (groupWidth - barWidth * series.length) / 2;
		group.values.forEach((value, s) => {
			const h = px((plotHeight * value) / max);
			const x = px(start + s * barWidth);
			const y = px(top + plotHeight - h);
			body.push(
				`<rect x="${x}" y="${y}" width="${px(barWidth - 4)}" height="${h}" fill="${COLORS[s % COLORS.length]}"/>`,
				text(x + (barWidth - 4) / 2, y - 4, `${+value.toPrecision(3)}`, {
					size: 10,
					anchor: 'middle',
				}),
			);
		});
		body.push(
			text(left + g * groupWidth + groupWidth / 2, top + plotHeight + 18, group.label, {
				anchor: 'middle',
			}),
		);
	});
	if (reference) {
		const y = px(top + plotHeight - (plotHeight * reference.value) / max);
		body.push(
			`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#dc2626" stroke-dasharray="6 4"/>`,
			text(left + plotWidth - 4, y - 4, reference.label, {
				size: 11,
				anchor: 'end',
				fill: '#dc2626',
			}),
		);
	}
	return frame(width, height, title, body);
}

/** Lines over evenly spaced categories: series [{ name, values }]. */
function lineChart({ title, unit, categories, series, reference }) {
	const { width, height, left, top, plotWidth, plotHeight, max } = plotArea(
		series.flatMap((s) => s.values),
		reference,
		40,
	);
	const body = [
		...legend(
			series.map((s) => s.name),
			left,
			44,
		),
		...axis({ left, top, plotWidth, plotHeight, max, unit }),
	];
	const xOf = (i) => px(left + 20 + (i * (plotWidth - 40)) / Math.max(1, categories.length - 1));
	const yOf = (value) => px(top + plotHeight - (plotHeight * value) / max);
	categories.forEach((label, i) => {
		body.push(text(xOf(i), top + plotHeight + 18, label, { anchor: 'middle' }));
	});
	series.forEach((s, k) => {
		const color = COLORS[k % COLORS.length];
		const points = s.values.map((value, i) => `${xOf(i)},${yOf(value)}`).join(' ');
		body.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
		s.values.forEach((value, i) => {
			body.push(`<circle cx="${xOf(i)}" cy="${yOf(value)}" r="3.5" fill="${color}"/>`);
		});
	});
	if (reference) {
		const y = yOf(reference.value);
		body.push(
			`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#dc2626" stroke-dasharray="6 4"/>`,
			text(left + plotWidth, y - 4, reference.label, { size: 11, anchor: 'end', fill: '#dc2626' }),
		);
	}
	return frame(width, height, title, body);
}

module.exports = { barChart, lineChart };
