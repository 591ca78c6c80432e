import type { Iam } from '../iam/index.ts';
import { PREDEFINED_ROLES } from '../iam/index.ts';
import { TarmacError, invalidArgument, notFound, readJson, sendJson, type Router } from '../shared/index.ts';
import { guarded, lookup, SA } from './iam-accounts.ts';
import { addPolicyMethods } from './iam-policy.ts';
import { asObject, page, query } from './iam-util.ts';

const KEY = `${SA}/keys/(?<key>[0-9a-f]+)`;

/** IAM v1 keys, service account policies, predefined roles, and the accounts' public keys. */
export function keyRoutes(iam: Iam): (router: Router) => void {
  return (router) => {
    router.add('POST', new RegExp(`^/v1/projects/${SA}/keys$`), async (req, res, p) => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccountKeys.create');
      const body = asObject(await readJson(req));
      const type = body.privateKeyType ?? 'TYPE_GOOGLE_CREDENTIALS_FILE';
      if (type !== 'TYPE_GOOGLE_CREDENTIALS_FILE') {
        throw invalidArgument(`privateKeyType ${String(type)} is not supported`, [
          { field: 'privateKeyType', description: 'TYPE_GOOGLE_CREDENTIALS_FILE' },
        ]);
      }
      const alg = body.keyAlgorithm ?? 'KEY_ALG_RSA_2048';
      if (alg !== 'KEY_ALG_RSA_2048' && alg !== 'KEY_ALG_UNSPECIFIED') {
        throw invalidArgument(`keyAlgorithm ${String(alg)} is not supported`, [
          { field: 'keyAlgorithm', description: 'KEY_ALG_RSA_2048' },
        ]);
      }
      sendJson(res, 200, await iam.keys.create(sa, { api: iam.issuer }));
    });
    router.add('GET', new RegExp(`^/v1/projects/${SA}/keys$`), async (req, res, p) => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccountKeys.list');
      const types = query(req).getAll('keyTypes');
      const keys = iam.keys.list(sa).filter((k) => types.length === 0 || types.includes(k.keyType));
      sendJson(res, 200, keys.length > 0 ? { keys } : {});
    });
    router.add('GET', new RegExp(`^/v1/projects/${KEY}$`), async (req, res, p) => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccountKeys.get');
      const publicType = query(req).get('publicKeyType');
      sendJson(res, 200, iam.keys.get(sa, p.key!, publicType !== null && publicType !== 'TYPE_NONE'));
    });
    router.add('DELETE', new RegExp(`^/v1/projects/${KEY}$`), async (req, res, p) => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccountKeys.delete');
      iam.keys.delete(sa, p.key!);
      sendJson(res, 200, {});
    });
    for (const verb of ['disable', 'enable'] as const) {
      router.add('POST', new RegExp(`^/v1/projects/${KEY}:${verb}$`), async (req, res, p) => {
        const sa = await guarded(iam, req, p, `iam.serviceAccountKeys.${verb}`);
        iam.keys.setDisabled(sa, p.key!, verb === 'disable');
        sendJson(res, 200, {});
      });
    }
    addPolicyMethods(router, iam, {
      path: `/v1/projects/${SA}`,
      resource: (p) => `projects/${p.project}/serviceAccounts/${p.sa}`,
      getPermission: 'iam.serviceAccounts.getIamPolicy',
      setPermission: 'iam.serviceAccounts.setIamPolicy',
      exists: (p) => void lookup(iam, p.project!, p.sa!),
    });
    router.add('GET', '/v1/roles', async (req, res) => {
      await iam.principal(req);
      const view = query(req).get('view') === 'FULL';
      const roles = [...PREDEFINED_ROLES.values()].map((r) => ({
        name: r.name,
        title: r.title,
        description: r.description,
        stage: 'GA',
        ...(view ? { includedPermissions: r.includedPermissions } : {}),
      }));
      const { items, nextPageToken } = page(roles, req, 1000, 300);
      sendJson(res, 200, { roles: items, ...(nextPageToken ? { nextPageToken } : {}) });
    });
    router.add('GET', /^\/v1\/roles\/(?<role>[^/]+)$/, async (req, res, p) => {
      await iam.principal(req);
      const r = PREDEFINED_ROLES.get(`roles/${p.role}`);
      if (!r) throw notFound(`Role roles/${p.role} does not exist.`);
      sendJson(res, 200, { ...r, stage: 'GA', etag: 'AA==' });
    });
    // Public halves of an account's keys, for verifying JWTs it signed itself (no auth, as at Google).
    router.add(
      'GET',
      /^\/service_accounts\/v1\/(?<fmt>metadata\/x509|jwk)\/(?<email>[^/]+)$/,
      (_req, res, p) => {
        const sa = iam.serviceAccounts.find(p.email!);
        if (!sa) throw new TarmacError('NOT_FOUND', 'Not Found');
        const keys = iam.keys.list(sa).map((k) => ({
          id: k.name.split('/').pop()!,
          pem: Buffer.from(
            iam.keys.get(sa, k.name.split('/').pop()!, true).publicKeyData!,
            'base64',
          ).toString(),
        }));
        if (p.fmt === 'jwk') {
          sendJson(res, 200, { keys: keys.map((k) => iam.keys.jwk(k.id, k.pem)) });
        } else {
          sendJson(res, 200, Object.fromEntries(keys.map((k) => [k.id, k.pem])));
        }
      },
    );
  };
}
