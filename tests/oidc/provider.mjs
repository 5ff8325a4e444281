// A test double for the municipality's OpenID Connect provider, built on npm's certified
// `oidc-provider` (panva). The protocol (discovery, JWKS, authorization code + PKCE, ID token,
// RP-initiated and back-channel logout) is the real library; only the accounts, the sign-in
// page and three /test endpoints are ours. For tests only: in-memory state, fixed passwords.
//
//   OIDC_PORT=9000 OIDC_CLIENT_ID=voice OIDC_CLIENT_SECRET=s \
//   OIDC_REDIRECT_URIS=http://localhost/cb OIDC_POST_LOGOUT_REDIRECT_URIS=http://localhost/ \
//   node tests/oidc/provider.mjs            # prints "READY http://127.0.0.1:9000"
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose'; // oidc-provider's own dependency
import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.OIDC_PORT || 9000);
const issuer = `http://127.0.0.1:${port}`;
const list = (value) => (value || '').split(',').map((s) => s.trim()).filter(Boolean);

// The accounts, by e-mail. `groups` can be replaced at run time (POST /test/users/<email>/groups).
const users = {
  'alice@trondheim.kommune.no': {
    sub: 'alice-3f1c', password: 'alice-pass', name: 'Alice Admin',
    groups: ['voice-admins'], amr: ['pwd', 'mfa'], acr: 'urn:voice:loa:substantial',
  },
  'bob@trondheim.kommune.no': {
    sub: 'bob-7a2e', password: 'bob-pass', name: 'Bob Moderator',
    groups: ['voice-moderators'], amr: ['pwd'], acr: 'urn:voice:loa:low',
  },
};
const bySub = (sub) => Object.entries(users).find(([, u]) => u.sub === sub);

// An RS256 signing key made at each start, and the one it is rotated to (POST /test/rotate):
// from then on the JWKS lists both and every ID token is signed with the new one, under a key
// id the relying party has not seen, as when a real provider rotates its keys.
const rsaKey = () => ({
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
});
const signingKey = rsaKey();
const nextKey = rsaKey();
const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });
let rotated = false;
let jwksFetches = 0;

const client = {
  client_id: env.OIDC_CLIENT_ID || 'voice',
  client_secret: env.OIDC_CLIENT_SECRET || 'voice-secret',
  redirect_uris: list(env.OIDC_REDIRECT_URIS),
  post_logout_redirect_uris: list(env.OIDC_POST_LOGOUT_REDIRECT_URIS),
  response_types: ['code'],
  grant_types: ['authorization_code'],
  // Registered as basic; oidc-provider accepts client_secret_post for such a client too.
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
  ...(env.OIDC_BACKCHANNEL_LOGOUT_URI
    ? { backchannel_logout_uri: env.OIDC_BACKCHANNEL_LOGOUT_URI, backchannel_logout_session_required: true }
    : {}),
};

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] }, // not `secure`: the issuer is plain http
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    sid: null, iss: null,
    // acr, amr and auth_time under `openid`, so that every ID token carries them (not only on request).
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'],
  },
  acrValues: [...new Set(Object.values(users).map((u) => u.acr))],
  conformIdTokenClaims: false, // the scopes' claims go in the ID token itself, not only at userinfo
  pkce: { required: () => true }, // S256 is the only method oidc-provider 9 offers
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: Boolean(env.OIDC_BACKCHANNEL_LOGOUT_URI) },
    rpInitiatedLogout: {
      enabled: true,
      // One button inside the library's form (hidden xsrf field): a click, or a plain POST
      // of xsrf=<value>&logout=yes, ends the session and redirects to post_logout_redirect_uri.
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `<h1>Sign out of ${esc(issuer)}?</h1>${
          form.replace('</form>', '<input type="hidden" name="logout" value="yes"><button type="submit">Yes, sign me out</button></form>')}`);
      },
      async postLogoutSuccessSource(ctx) { ctx.body = page('Signed out', '<h1>Signed out</h1>'); },
    },
  },
  async findAccount(ctx, sub) {
    const found = bySub(sub);
    if (!found) return undefined;
    const [email, user] = found;
    return {
      accountId: sub,
      async claims() {
        return { sub, email, email_verified: true, name: user.name, groups: [...user.groups] };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1><pre>${esc(JSON.stringify(out, null, 2))}</pre>`);
  },
  // Back-channel logout tokens go to a receiver on 127.0.0.1, which oidc-provider's SSRF guard
  // (its `dispatcher`) would refuse; a test double may post to loopback.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
});
// Dev-only tampering (POST /test/tamper): the next successful token response's ID token is spoilt
// once, so that tests can see the relying party refuse it; then back to "none".
const tamperModes = ['none', 'signature', 'audience', 'expired', 'nonce'];
let tamperMode = 'none';
const tokenPath = provider.pathFor('token');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

async function tamperIdToken(idToken, mode) {
  if (mode === 'signature') {
    // Flip the signature's last bytes (not its last character, whose low bits may be padding).
    const [header, payload, signature] = idToken.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    for (let i = bytes.length - 4; i < bytes.length; i += 1) bytes[i] ^= 0xff;
    return `${header}.${payload}.${b64url(bytes)}`;
  }
  const claims = decodeJwt(idToken);
  if (mode === 'audience') claims.aud = 'someone-else';
  if (mode === 'expired') { claims.exp -= 3600; claims.iat -= 3600; }
  if (mode === 'nonce') claims.nonce = b64url(randomBytes(16));
  // Re-signed with the provider's own key: same header (alg RS256, same kid), so only the claim is wrong.
  const header = decodeProtectedHeader(idToken);
  const key = header.kid === nextKey.kid ? nextKey : signingKey;
  return new SignJWT(claims).setProtectedHeader(header).sign(await importJWK(key, 'RS256'));
}

async function resignWithNextKey(idToken) {
  const header = { ...decodeProtectedHeader(idToken), kid: nextKey.kid };
  return new SignJWT(decodeJwt(idToken)).setProtectedHeader(header).sign(await importJWK(nextKey, 'RS256'));
}

provider.use(async (ctx, next) => {
  await next();
  if ((tamperMode === 'none' && !rotated) || ctx.path !== tokenPath || ctx.status !== 200) return;
  const body = ctx.body;
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body) || typeof body.id_token !== 'string') return;
  let idToken = rotated ? await resignWithNextKey(body.id_token) : body.id_token;
  if (tamperMode !== 'none') {
    const mode = tamperMode;
    tamperMode = 'none';
    idToken = await tamperIdToken(idToken, mode);
  }
  ctx.body = { ...body, id_token: idToken };
});

provider.on('backchannel.error', (ctx, err) => console.error('backchannel logout failed:', err.message));
provider.on('server_error', (ctx, err) => console.error('server error:', err));

function loginForm(uid, message = '', login = '') {
  // "Sign in" only on the button, so that a test's click on text "Sign in" finds the button.
  return page('Test municipality login', `<h1>Test municipality login</h1>${message ? `<p role="alert">${esc(message)}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label>E-mail <input type="email" name="login" value="${esc(login)}" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

// The login prompt shows our form; the consent prompt is granted at once, without a page.
async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method !== 'POST') return send(res, 200, loginForm(uid));
  const form = new URLSearchParams(await readBody(req));
  const email = (form.get('login') || '').trim().toLowerCase();
  const user = users[email];
  if (!user || user.password !== form.get('password')) {
    return send(res, 200, loginForm(uid, 'Wrong e-mail or password', email));
  }
  return provider.interactionFinished(req, res, {
    login: { accountId: user.sub, amr: user.amr, acr: user.acr },
  }, { mergeWithLastSubmission: false });
}

// Dev-only: GET /test/health, POST /test/users/<email>/groups with a JSON array,
// POST /test/tamper with {"mode": "none" | "signature" | "audience" | "expired" | "nonce"},
// POST /test/rotate (the signing key changes), GET /test/stats (how often the JWKS was read).
async function testEndpoint(req, res, path) {
  if (path === '/test/health') return send(res, 200, '{"ok":true}', 'application/json');
  if (path === '/test/stats') return send(res, 200, JSON.stringify({ jwks_fetches: jwksFetches, rotated }), 'application/json');
  if (path === '/test/rotate' && req.method === 'POST') {
    rotated = true;
    return send(res, 200, JSON.stringify({ kid: nextKey.kid }), 'application/json');
  }
  if (path === '/test/tamper' && req.method === 'POST') {
    let mode;
    try { mode = JSON.parse(await readBody(req))?.mode; } catch { mode = null; }
    if (!tamperModes.includes(mode)) {
      return send(res, 400, JSON.stringify({ error: `expected {"mode": one of ${tamperModes.join(', ')}}` }), 'application/json');
    }
    tamperMode = mode;
    return send(res, 200, JSON.stringify({ mode }), 'application/json');
  }
  const match = path.match(/^\/test\/users\/([^/]+)\/groups$/);
  const user = match && users[decodeURIComponent(match[1]).toLowerCase()];
  if (!user || req.method !== 'POST') return send(res, 404, '{"error":"not found"}', 'application/json');
  let groups;
  try { groups = JSON.parse(await readBody(req)); } catch { groups = null; }
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    return send(res, 400, '{"error":"expected a JSON array of strings"}', 'application/json');
  }
  user.groups = groups;
  return send(res, 200, JSON.stringify({ groups }), 'application/json');
}

const oidc = provider.callback();
const jwksPath = provider.pathFor('jwks');
const server = createServer(async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  try {
    if (path === jwksPath) {
      jwksFetches += 1;
      if (rotated) {
        const keys = [publicPart(signingKey), publicPart(nextKey)];
        return send(res, 200, JSON.stringify({ keys }), 'application/jwk-set+json; charset=utf-8');
      }
    }
    const uid = path.match(/^\/interaction\/([^/]+)$/)?.[1];
    if (uid) return await interaction(req, res, uid);
    if (path.startsWith('/test/')) return await testEndpoint(req, res, path);
    return oidc(req, res);
  } catch (err) {
    console.error(`${req.method} ${path}:`, err.message);
    if (!res.headersSent) send(res, err.statusCode || 500, page('Error', `<h1>Error</h1><p>${esc(err.message)}</p>`));
    else res.end();
  }
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
// Started by tests/oidc_provider.py with a pipe on stdin: end with the test run, even a killed one.
if (env.OIDC_EXIT_WITH_STDIN === '1') process.stdin.on('end', () => process.exit(0)).resume();
