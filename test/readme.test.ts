import packageJson from '../package.json';
import { exists, filesUnder, readText } from './helpers/repository';

const readme = readText('README.md');
// github.com/<owner>/<repo> from package.json: the README's links must follow the placeholder.
const repository = packageJson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const [, owner, repo] = /github\.com\/([^/]+)\/([^/]+)$/.exec(repository) ?? [];

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
	heading
		.toLowerCase()
		.replace(/[^\w\s-]/g, '')
		.replace(/\s/g, '-');

describe('README', () => {
	it('reads in the order an n8n user needs it', () => {
		const sections = [...readme.matchAll(/^## (.+)$/gm)].map(([, heading]) => heading);
		expect(sections).toEqual([
			'Install',
			'Set up',
			'What each delivery gets',
			'Parameters',
			'When a run fails, when n8n stops',
			'Troubleshooting',
			'Guarantees and limits',
			'Compatibility',
			'Try it from a clone',
			'Development',
			'License',
		]);
	});

	it('gives the two commands for a clone on its first screen', () => {
		const firstScreen = readme.split('\n').slice(0, 20).join('\n');
		expect(firstScreen).toMatch(/clone/i);
		expect(firstScreen).toContain('npm install && npm start');
		expect(firstScreen).toContain('npm run test:all');
	});

	it('shows pictures from the repository, which render on the npm page too', () => {
		const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map(([, url]) => url);
		expect(images.length).toBeGreaterThanOrEqual(5);
		const base = `https://raw.githubusercontent.com/${owner}/${repo}/main/`;
		for (const url of images) {
			expect(url.startsWith(base)).toBe(true);
			expect(exists(url.slice(base.length))).toBe(true);
		}
	});

	it('links no file by a relative path, which the npm page cannot follow', () => {
		const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map(([, url]) => url);
		expect(links.filter((url) => !/^(https:\/\/|#)/.test(url))).toEqual([]);
	});

	it("links only headings it has and the repository's files that exist", () => {
		const anchors = new Set(
			[...readme.matchAll(/^#+ (.+)$/gm)].map(([, heading]) => slug(heading)),
		);
		const base = `https://github.com/${owner}/${repo}/`;
		for (const [, url] of readme.matchAll(/\]\(([^)]+)\)/g)) {
			if (url.startsWith('#')) expect(anchors).toContain(url.slice(1));
			if (url.startsWith(base)) {
				const file = url
					.slice(base.length)
					.replace(/^(blob|tree)\/main\//, '')
					.split('#')[0];
				expect(exists(file)).toBe(true);
			}
		}
	});
});

/** The anchors of a Markdown file's headings, as GitHub makes them. */
const headingsOf = (file: string) =>
	new Set([...readText(file).matchAll(/^#+ (.+)$/gm)].map(([, heading]) => slug(heading)));

/** A relative path from a folder, with `.` and `..` resolved, as GitHub follows it. */
function resolveFrom(dir: string, relative: string): string {
	const resolved: string[] = [];
	for (const part of `${dir}/${relative}`.split('/')) {
		if (part === '..') resolved.pop();
		else if (part !== '.' && part !== '') resolved.push(part);
	}
	return resolved.join('/');
}

/**
 * The links of a Markdown file that lead nowhere: a repository file that does not exist, or an
 * anchor its target page has no heading for. Links off the repository are not followed.
 */
function brokenLinks(file: string): string[] {
	const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
	const base = `https://github.com/${owner}/${repo}/`;
	const broken: string[] = [];
	for (const [, url] of readText(file).matchAll(/\]\(([^)]+)\)/g)) {
		let target: string;
		if (url.startsWith(base)) target = url.slice(base.length).replace(/^(blob|tree)\/main\//, '');
		else if (/^[a-z]+:/i.test(url)) continue;
		else if (url.startsWith('#')) target = `${file}${url}`;
		else target = resolveFrom(dir, url);
		const [path, anchor] = target.split('#');
		if (!exists(path)) broken.push(url);
		else if (anchor !== undefined && (!path.endsWith('.md') || !headingsOf(path).has(anchor)))
			broken.push(url);
	}
	return broken;
}

describe('the pages under docs/', () => {
	// The npm page shows only the README, so a page it does not link can be found only by
	// browsing the repository.
	const pages = filesUnder('docs', '.md');

	it('are each linked from the README', () => {
		expect(pages.length).toBeGreaterThan(0);
		const unlinked = pages.filter(
			(page) => !readme.includes(`https://github.com/${owner}/${repo}/blob/main/${page}`),
		);
		expect(unlinked).toEqual([]);
	});

	// Read on GitHub, they may link relatively; a section moved between pages must take its
	// links along.
	it.each(pages)('%s links only files that exist and headings they have', (page) => {
		expect(brokenLinks(page)).toEqual([]);
	});

	it('are linked from the README only at headings they have', () => {
		expect(brokenLinks('README.md')).toEqual([]);
	});
});

describe('the repository URL', () => {
	// The placeholder is set in package.json; every other place that names it must follow.
	it.each([
		'README.md',
		'CHANGELOG.md',
		'CONTRIBUTING.md',
		'package.json',
		'nodes/Pivotal/PivotalTrigger.node.json',
		'credentials/PivotalWebhookApi.credentials.ts',
	])('%s names only the repository in package.json', (file) => {
		const text = readText(file);
		const named = [
			...text.matchAll(
				/(?:github\.com|raw\.githubusercontent\.com)\/([\w.-]+)\/([\w.-]+?)(?:\.git)?(?=[/#)'"`\s]|$)/g,
			),
		];
		expect(named.length).toBeGreaterThan(0);
		for (const [, who, what] of named) expect(`${who}/${what}`).toBe(`${owner}/${repo}`);
	});
});
