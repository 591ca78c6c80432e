import type { ServiceAccount } from '../client/index.ts';
import { api, message } from './api.ts';
import { field, h, input, notice, short, table, when } from './dom.ts';
import type { Page } from './api.ts';

/** Service accounts: create, keys (create/download, list, delete), disable/enable. */
export const iamPage: Page = async (main, ctx) => {
  const out = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const keys = h('div', {});
  const run = (fn: () => Promise<unknown>) => async (): Promise<void> => {
    try {
      await fn();
      await refresh();
    } catch (e) {
      out.replaceChildren(notice(message(e), 'alert'));
    }
  };
  const showKeys = async (sa: ServiceAccount): Promise<void> => {
    const ks = await api.iam.listKeys(ctx.project, sa.email!);
    const rows = ks.map((k) => [
      short(k.name),
      k.keyType ?? '',
      when(k.validAfterTime),
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Delete key ${short(k.name)}`,
          onclick: run(async () => {
            await api.iam.deleteKey(k.name!);
            await showKeys(sa);
          }),
        },
        'Delete',
      ),
    ]);
    const create = async (): Promise<void> => {
      try {
        const k = await api.iam.createKey(ctx.project, sa.email!);
        const json = atob(k.privateKeyData ?? '');
        const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
        await showKeys(sa);
        keys.prepend(
          notice('Key created. Download it now: it cannot be shown again.'),
          h(
            'a',
            { href: url, download: `${sa.email}-${short(k.name).slice(0, 8)}.json`, class: 'button' },
            'Download key JSON',
          ),
        );
      } catch (e) {
        out.replaceChildren(notice(message(e), 'alert'));
      }
    };
    keys.replaceChildren(
      h('h2', {}, `Keys of ${sa.email}`),
      rows.length ? table('Keys', ['Key', 'Type', 'Created', ''], rows) : h('p', {}, 'No keys.'),
      h('button', { type: 'button', onclick: () => void create() }, 'Add key'),
    );
    (keys.querySelector('h2') as HTMLElement).tabIndex = -1;
    (keys.querySelector('h2') as HTMLElement).focus();
  };
  const refresh = async (): Promise<void> => {
    const accounts = await api.iam.listServiceAccounts(ctx.project);
    const rows = accounts.map((sa) => [
      sa.email ?? '',
      sa.displayName ?? '',
      sa.disabled ? 'Disabled' : 'Enabled',
      h(
        'span',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              void showKeys(sa).catch((e: unknown) => out.replaceChildren(notice(message(e), 'alert'))),
          },
          'Keys',
        ),
        ' ',
        h(
          'button',
          {
            type: 'button',
            'aria-label': `${sa.disabled ? 'Enable' : 'Disable'} ${sa.email}`,
            onclick: run(() => api.iam.setDisabled(ctx.project, sa.email!, !sa.disabled)),
          },
          sa.disabled ? 'Enable' : 'Disable',
        ),
      ),
    ]);
    list.replaceChildren(
      table(`Service accounts in ${ctx.project}`, ['Email', 'Name', 'State', 'Actions'], rows),
    );
  };
  const id = input('accountId', '', {
    required: true,
    pattern: '[a-z]([-a-z0-9]*[a-z0-9])',
    minlength: 6,
    maxlength: 30,
  });
  const display = input('displayName', '');
  const create = (ev: Event): void => {
    ev.preventDefault();
    void run(async () => {
      await api.iam.createServiceAccount(ctx.project, id.value.trim(), { displayName: display.value });
      id.value = '';
      display.value = '';
    })();
  };
  main.append(
    h('h1', {}, 'IAM: service accounts'),
    out,
    list,
    h(
      'form',
      { 'aria-label': 'Create service account', onsubmit: create },
      h('h2', {}, 'Create service account'),
      field('Account ID', id, '6-30 characters: lowercase letters, digits, hyphens'),
      field('Display name', display),
      h('button', { type: 'submit' }, 'Create'),
    ),
    keys,
  );
  await refresh().catch((e: unknown) => list.replaceChildren(notice(message(e), 'alert')));
};
