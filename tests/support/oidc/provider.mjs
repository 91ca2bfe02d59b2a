// A real OpenID Connect provider (the `oidc-provider` package) for the single sign-on tests.
// Usage: node provider.mjs CONFIG.json — listens on a free loopback port, then prints
// "listening <issuer>" on stdout. CONFIG: {"client_id", "client_secret", "redirect_uris": [...],
// "accounts": {"<login>": {"email", "email_verified", "name", "groups": [...]}}}.
// Sign-in uses the package's development pages: any login whose name is in "accounts" with any
// password, then a consent page ("Continue").
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    conformIdTokenClaims: false, // the claims go into the ID token as well as userinfo
    cookies: { keys: ['govledger-test-only-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const account = config.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...account };
        },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
