const { src, dest } = require('gulp');

// tsc emits only JavaScript; n8n also needs the icons and the codex file beside each node.
function buildIcons() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
