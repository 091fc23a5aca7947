// The app behind the proxy in the browser journey (tests/forward_auth.spec.ts): an app with no
// sign-in of its own, which shows who the gate said the visitor is.
// Usage: node protected_app.mjs PORT
import http from "node:http";

const port = Number(process.argv[2]);
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

http
  .createServer((request, response) => {
    const name = request.headers["remote-name"] ?? "";
    const user = request.headers["remote-user"] ?? "";
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    response.end(
      `<!doctype html><html lang="en"><title>Protected app</title><h1>Protected app</h1>` +
        `<p id="who">Hello, ${escape(name)}</p><p id="user">${escape(user)}</p>` +
        `<p id="path">${escape(request.url ?? "")}</p></html>`,
    );
  })
  .listen(port, "127.0.0.1");
