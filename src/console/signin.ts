import { api, message } from './api.ts';
import { field, h, notice } from './dom.ts';

/** Sign-in with an access token or a service-account key file (exchanged for a token at the OAuth endpoint). */
export async function signInPage(main: HTMLElement): Promise<void> {
  const expired = new URLSearchParams(location.search).get('login') === 'expired';
  const token = h('textarea', { name: 'credential', rows: '6', required: true }) as HTMLTextAreaElement;
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void submit(token.value.trim(), out);
      },
    },
    field(
      'Access token or service account key (JSON)',
      token,
      'The local owner can run `tarmac console` instead.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  main.append(
    h('h1', {}, 'Sign in to tarmac'),
    expired ? notice('That sign-in link was already used or has expired.', 'alert') : '',
    form,
    out,
  );
}

async function submit(credential: string, out: HTMLElement): Promise<void> {
  try {
    let accessToken = credential;
    if (credential.startsWith('{')) {
      const answer = await api.oauth.jwtBearer(await assertion(JSON.parse(credential) as KeyFile));
      accessToken = answer.access_token ?? '';
    }
    await api.http.request('POST', '/console/api/session', { body: { accessToken } });
    location.hash = '#/services';
    location.reload();
  } catch (e) {
    out.replaceChildren(notice(message(e), 'alert'));
  }
}

interface KeyFile {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

function b64url(data: ArrayBuffer | string): string {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Signs the JWT-bearer assertion in the browser (WebCrypto); the key never leaves the page. */
async function assertion(key: KeyFile): Promise<string> {
  const pem = key.private_key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Uint8Array.from(atob(pem), (c) => c.charCodeAt(0));
  const k = await crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id }));
  const claims = b64url(
    JSON.stringify({
      iss: key.client_email,
      sub: key.client_email,
      aud: key.token_uri ?? `${location.origin}/token`,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      iat: now,
      exp: now + 3600,
    }),
  );
  const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', k, new TextEncoder().encode(`${head}.${claims}`));
  return `${head}.${claims}.${b64url(sig)}`;
}
