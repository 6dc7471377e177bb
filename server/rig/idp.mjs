// A real OpenID Connect provider for Fountain's demo and tests, on the certified `oidc-provider` library.
// Users come from a JSON file; sign-in is a real form that checks their passwords; `groups` is a claim.
//
//   node idp.mjs --users users.json --client-id fountain --client-secret S \
//        --redirect-uri http://127.0.0.1:3000/auth/callback [--port 0] \
//        [--app-client-id fountain-app --app-client-secret S2] [--tls-cert cert.pem --tls-key key.pem]
//
// With --tls-*, it serves https (an organisation's provider behind an internal CA).
// With --app-client-*, a second client gets app-only tokens (client credentials, scope "imap") and may
// introspect them: what an Exchange-like server's directory gives a service that writes into mailboxes.
//
// Prints one JSON line {"issuer": "...", "port": N} on stdout once it accepts connections.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    'client-id': { type: 'string', default: 'fountain' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    port: { type: 'string', default: '0' },
    'app-client-id': { type: 'string' },
    'app-client-secret': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
for (const required of ['users', 'client-secret', 'redirect-uri']) {
  if (!args[required]) {
    console.error(`idp: --${required} is required`);
    process.exit(2);
  }
}

const users = new Map(JSON.parse(readFileSync(args.users, 'utf8')).map((u) => [u.username, u]));
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, message = '') {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Organisation sign-in</title>
<style>body{font-family:system-ui,sans-serif;background:#eef2f5;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;padding:2rem;border-radius:10px;min-width:20rem;box-shadow:0 2px 8px #0002}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit}
button{margin-top:1.2rem;padding:.6rem 1.2rem;font:inherit}.error{color:#b42318}</style></head>
<body><form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<h1>Organisation sign-in</h1>${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<label for="login">Username</label><input id="login" name="login" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit" id="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

// Whoever started us may stop reading stdout after the ready line: never die of EPIPE.
process.stdout.on('error', () => {});

let provider;
const tls = args['tls-cert']
  ? { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) }
  : null;
const server = (tls ? https.createServer.bind(https, tls) : http.createServer)(async (req, res) => {
  try {
    if (!provider) return send(res, 503, 'starting');
    const url = new URL(req.url, 'http://idp.invalid');
    const show = url.pathname.match(/^\/interaction\/([^/]+)$/);
    const submit = url.pathname.match(/^\/interaction\/([^/]+)\/login$/);
    if (req.method === 'GET' && show) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') return send(res, 200, loginPage(details.uid));
      // First-party client: consent is implied (see loadExistingGrant); finish any leftover prompt.
      return await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    }
    if (req.method === 'POST' && submit) {
      const details = await provider.interactionDetails(req, res);
      const form = await readForm(req);
      const user = users.get(form.get('login') ?? '');
      if (!user || user.password !== form.get('password')) {
        return send(res, 200, loginPage(details.uid, 'Wrong username or password.'));
      }
      return await provider.interactionFinished(req, res, { login: { accountId: user.username } }, {
        mergeWithLastSubmission: false,
      });
    }
    return provider.callback()(req, res);
  } catch (err) {
    console.error('idp:', err);
    if (!res.headersSent) send(res, 500, `<p>${escapeHtml(err.message)}</p>`);
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  const issuer = `${tls ? 'https' : 'http'}://${args.host}:${port}`;
  const clients = [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }];
  if (args['app-client-id']) {
    clients.push({
      client_id: args['app-client-id'],
      client_secret: args['app-client-secret'],
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'imap',
      token_endpoint_auth_method: 'client_secret_basic',
    });
  }
  provider = new Provider(issuer, {
    clients,
    async findAccount(_ctx, id) {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: user.email,
            email_verified: user.email_verified ?? true,
            name: user.name,
            preferred_username: id,
            groups: user.groups ?? [],
          };
        },
      };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'imap'],
    // Put the granted claims in the ID token itself (Fountain reads roles from it).
    conformIdTokenClaims: false,
    // A first-party client: grant what it asks for without a consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username', 'groups']);
      await grant.save();
      return grant;
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
  });
  provider.on('server_error', (_ctx, err) => console.error('idp server_error:', err));
  console.log(JSON.stringify({ issuer, port }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
