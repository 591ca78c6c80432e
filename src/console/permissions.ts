import type { Policy } from '../client/index.ts';
import { api, message } from './api.ts';
import { field, h, input, notice, select, table } from './dom.ts';

const INVOKER = 'roles/run.invoker';
const ROLES: [string, string][] = [
  [INVOKER, 'Cloud Run Invoker'],
  ['roles/run.viewer', 'Cloud Run Viewer'],
  ['roles/run.developer', 'Cloud Run Developer'],
  ['roles/run.admin', 'Cloud Run Admin'],
];

function withMember(p: Policy, role: string, member: string, add: boolean): Policy {
  const bindings = (p.bindings ?? []).map((b) => ({ ...b, members: [...b.members] }));
  let b = bindings.find((x) => x.role === role && !x.condition);
  if (add) {
    if (!b) bindings.push((b = { role, members: [] }));
    if (!b.members.includes(member)) b.members.push(member);
  } else if (b) {
    b.members = b.members.filter((m) => m !== member);
  }
  return { ...p, bindings: bindings.filter((x) => x.members.length > 0) };
}

/** Grants or revokes run.invoker for allUsers on a service (read-modify-write with the etag). */
export async function setPublic(resource: string, on: boolean): Promise<void> {
  const p = await api.run.getIamPolicy(resource);
  await api.run.setIamPolicy(resource, withMember(p, INVOKER, 'allUsers', on));
}

/** A service's IAM policy: members by role, add/remove, and the "Allow unauthenticated" toggle. */
export async function permissionsPanel(resource: string, project: string): Promise<HTMLElement> {
  const el = h('div', {});
  const render = async (): Promise<void> => {
    const out = h('div', { 'aria-live': 'polite' });
    try {
      const [policy, accounts] = await Promise.all([
        api.run.getIamPolicy(resource),
        api.iam.listServiceAccounts(project).catch(() => []),
      ]);
      const change = async (next: Policy): Promise<void> => {
        try {
          await api.run.setIamPolicy(resource, next);
          await render();
        } catch (e) {
          out.replaceChildren(notice(message(e), 'alert'));
        }
      };
      const isPublic = (policy.bindings ?? []).some(
        (b) => b.role === INVOKER && b.members.includes('allUsers'),
      );
      const toggle = h('input', {
        type: 'checkbox',
        role: 'switch',
        id: 'allow-unauth',
        checked: isPublic,
        'aria-checked': String(isPublic),
      }) as HTMLInputElement;
      toggle.addEventListener(
        'change',
        () => void change(withMember(policy, INVOKER, 'allUsers', toggle.checked)),
      );
      const rows = (policy.bindings ?? []).flatMap((b) =>
        b.members.map((m) => [
          m,
          b.role,
          h(
            'button',
            {
              type: 'button',
              'aria-label': `Remove ${m} from ${b.role}`,
              onclick: () => void change(withMember(policy, b.role, m, false)),
            },
            'Remove',
          ),
        ]),
      );
      const member = input('member', '', {
        list: 'member-options',
        required: true,
        placeholder: 'serviceAccount:NAME@PROJECT.iam.gserviceaccount.com',
      });
      const role = select('role', ROLES, INVOKER);
      const options = h(
        'datalist',
        { id: 'member-options' },
        ...accounts.map((a) => h('option', { value: `serviceAccount:${a.email}` })),
      );
      const add = (ev: Event): void => {
        ev.preventDefault();
        void change(withMember(policy, role.value, member.value.trim(), true));
      };
      el.replaceChildren(
        h(
          'div',
          { class: 'field check' },
          toggle,
          h('label', { for: 'allow-unauth' }, 'Allow unauthenticated invocations'),
        ),
        rows.length
          ? table('Principals with access', ['Principal', 'Role', ''], rows)
          : h('p', {}, 'No principals have roles on this service.'),
        h(
          'form',
          { 'aria-label': 'Add principal', onsubmit: add },
          field(
            'New principal',
            member,
            'user:EMAIL, serviceAccount:EMAIL, allUsers or allAuthenticatedUsers',
          ),
          options,
          field('Role', role),
          h('button', { type: 'submit' }, 'Add principal'),
        ),
        out,
      );
    } catch (e) {
      el.replaceChildren(notice(message(e), 'alert'));
    }
  };
  await render();
  return el;
}
