// A small app with "Sign in with OpenID Connect", for tests/openid_connect.spec.ts: the npm
// `openid-client` package (an independent relying party) does the discovery, the authorization
// request with PKCE, the code exchange and the ID token's checks; the page shows what it got.
// Usage: node relying_party.mjs PORT ISSUER CLIENT_ID CLIENT_SECRET
import http from "node:http";
import * as client from "openid-client";

const [port, issuer, clientId, clientSecret] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (body) => `<!doctype html><html lang="en"><title>Relying party</title><main>${body}</main></html>`;

// The provider is plain http on loopback in the tests.
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
  execute: [client.allowInsecureRequests],
});
// One sign-in at a time is enough for the test: its PKCE verifier, state and nonce.
let pending = null;

http
  .createServer(async (request, response) => {
    const url = new URL(request.url, base);
    const send = (status, html, headers = {}) => {
      response.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
      response.end(html);
    };
    try {
      if (url.pathname === "/") {
        send(200, page(`<h1>The app</h1><a href="/login">Sign in with Two-factor sign-in</a>`));
      } else if (url.pathname === "/login") {
        const verifier = client.randomPKCECodeVerifier();
        pending = { verifier, state: client.randomState(), nonce: client.randomNonce() };
        const target = client.buildAuthorizationUrl(config, {
          redirect_uri: `${base}/callback`,
          scope: "openid profile email groups",
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
          state: pending.state,
          nonce: pending.nonce,
        });
        send(302, "", { location: target.href });
      } else if (url.pathname === "/callback") {
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
        });
        const claims = tokens.claims();
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        send(
          200,
          page(
            `<h1>Signed in</h1><p id="username">${escape(claims.preferred_username)}</p>` +
              `<p id="amr">${escape((claims.amr ?? []).join(" "))}</p><p id="userinfo">${escape(info.preferred_username)}</p>`,
          ),
        );
      } else {
        send(404, page("not found"));
      }
    } catch (error) {
      send(500, page(`<p id="error">${escape(error?.message ?? error)}</p>`));
    }
  })
  .listen(Number(port), "127.0.0.1");
