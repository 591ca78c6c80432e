import { api, defaults, message, signedIn, view, type Defaults, type Page } from './api.ts';
import { h, notice, replace } from './dom.ts';
import { servicesPage } from './services.ts';
import { servicePage } from './service.ts';
import { buildsPage, buildPage } from './builds.ts';
import { jobsPage, jobPage, jobFormPage } from './jobs.ts';
import { iamPage } from './iam.ts';
import { signInPage } from './signin.ts';

const ROUTES: [RegExp, Page, string][] = [
  [/^\/services\/([^/]+)$/, servicePage, 'Service'],
  [/^\/services\/?$/, servicesPage, 'Services'],
  [/^\/builds\/([^/]+)$/, buildPage, 'Build'],
  [/^\/builds\/?$/, buildsPage, 'Builds'],
  [/^\/jobs\/new$/, jobFormPage, 'New job'],
  [/^\/jobs\/([^/]+)\/edit$/, jobFormPage, 'Edit job'],
  [/^\/jobs\/([^/]+)$/, jobPage, 'Job'],
  [/^\/jobs\/?$/, jobsPage, 'Scheduler'],
  [/^\/iam\/?$/, iamPage, 'IAM'],
];

const NAV: [string, string][] = [
  ['#/services', 'Services'],
  ['#/builds', 'Builds'],
  ['#/jobs', 'Scheduler'],
  ['#/iam', 'IAM'],
];

let stop: (() => void) | void;
let ctx: Defaults | undefined;
/** Renders overlap when the hash changes while a page is loading; only the newest may stay. */
let generation = 0;

async function render(): Promise<void> {
  const mine = ++generation;
  stop?.();
  stop = undefined;
  const app = document.getElementById('app')!;
  const path = location.hash.replace(/^#/, '') || '/services';
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Sections' },
    h(
      'ul',
      {},
      ...NAV.map(([href, label]) =>
        h('li', {}, h('a', { href, 'aria-current': path.startsWith(href.slice(1)) ? 'page' : null }, label)),
      ),
    ),
  );
  const header = h(
    'header',
    {},
    h('a', { class: 'brand', href: '#/services' }, 'tarmac'),
    signedIn() ? nav : null,
    signedIn() ? h('button', { type: 'button', class: 'link', onclick: logout }, 'Sign out') : null,
  );
  replace(app, header, main);
  if (!signedIn()) {
    document.title = 'Sign in · tarmac';
    await signInPage(main);
    return;
  }
  try {
    ctx ??= await defaults();
    for (const [re, page, title] of ROUTES) {
      const m = re.exec(path);
      if (!m) continue;
      document.title = `${title} · tarmac`;
      const stopPage = await page(main, ctx, m.slice(1).map(decodeURIComponent));
      if (mine !== generation) {
        stopPage?.();
        return;
      }
      stop = stopPage;
      main.focus({ preventScroll: true });
      return;
    }
    replace(main, h('h1', {}, 'Not found'), notice(`No page at ${path}`, 'alert'));
  } catch (e) {
    main.appendChild(notice(message(e), 'alert'));
  }
}

async function logout(): Promise<void> {
  await api.http.request('POST', '/console/api/logout');
  location.hash = '#/services';
  void render();
}

view.refresh = () => void render();
window.addEventListener('hashchange', () => void render());
void render();
