import type { HttpClient } from './http.ts';
import type { Policy, ServiceAccount, ServiceAccountKey } from './types.ts';

const enc = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** iam.googleapis.com v1 (service accounts, keys, project policy) and iamcredentials v1. */
export class IamClient {
  constructor(readonly http: HttpClient) {}

  listServiceAccounts(project: string): Promise<ServiceAccount[]> {
    return this.http.listAll(`/v1/projects/${encodeURIComponent(project)}/serviceAccounts`, 'accounts');
  }

  getServiceAccount(project: string, email: string): Promise<ServiceAccount> {
    return this.http.get(
      `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}`,
    );
  }

  createServiceAccount(
    project: string,
    accountId: string,
    serviceAccount: { displayName?: string; description?: string } = {},
  ): Promise<ServiceAccount> {
    return this.http.request('POST', `/v1/projects/${encodeURIComponent(project)}/serviceAccounts`, {
      body: { accountId, serviceAccount },
    });
  }

  deleteServiceAccount(project: string, email: string): Promise<unknown> {
    return this.http.request(
      'DELETE',
      `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}`,
    );
  }

  /** Disables (or enables) a service account: its keys and tokens stop working while disabled. */
  setDisabled(project: string, email: string, disabled: boolean): Promise<unknown> {
    const verb = disabled ? 'disable' : 'enable';
    return this.http.request(
      'POST',
      `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}:${verb}`,
      { body: {} },
    );
  }

  createKey(project: string, email: string): Promise<ServiceAccountKey> {
    return this.http.request(
      'POST',
      `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}/keys`,
      { body: {} },
    );
  }

  listKeys(project: string, email: string): Promise<ServiceAccountKey[]> {
    return this.http.listAll(
      `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}/keys`,
      'keys',
    );
  }

  deleteKey(keyName: string): Promise<unknown> {
    return this.http.request('DELETE', `/v1/${enc(keyName)}`);
  }

  /** Policy of a resource in the iam/cloudresourcemanager style: POST `{resource}:getIamPolicy`. */
  getIamPolicy(resourcePath: string): Promise<Policy> {
    return this.http.request('POST', `/v1/${enc(resourcePath)}:getIamPolicy`, { body: {} });
  }

  setIamPolicy(resourcePath: string, policy: Policy): Promise<Policy> {
    return this.http.request('POST', `/v1/${enc(resourcePath)}:setIamPolicy`, { body: { policy } });
  }

  generateIdToken(email: string, audience: string, includeEmail = false): Promise<{ token: string }> {
    return this.http.request(
      'POST',
      `/v1/projects/-/serviceAccounts/${encodeURIComponent(email)}:generateIdToken`,
      {
        body: { audience, includeEmail },
      },
    );
  }

  generateAccessToken(
    email: string,
    scope: string[],
    lifetime?: string,
  ): Promise<{ accessToken: string; expireTime: string }> {
    return this.http.request(
      'POST',
      `/v1/projects/-/serviceAccounts/${encodeURIComponent(email)}:generateAccessToken`,
      { body: { scope, lifetime } },
    );
  }
}
