// Measures the in-page navigation of a RUNNING server (it builds and starts nothing), in Debian's
// Chromium, through the Chrome DevTools Protocol. Used to compare the hand-written navigation
// script (app/src/islands/navigation.js) with Leptos's `islands-router` (docs/navigation.md).
//
// One piece (over 350 lines): one journey, measured in one browser session; its steps share the
// page, the DevTools session and the counters, and each step's definition sits beside its code.
//
//   node measure.mjs --url http://127.0.0.1:3000 [--label name] [--rounds 10] [--out result.json]
//
// The journey, on a fresh browser profile (no cache), each step in one document:
//   1. first visit: GET /login, until the islands are hydrated and the network is quiet;
//   2. `rounds` times: /login -> /register -> /login by the links in <main>;
//   3. /login -> /register, the registration form (a new account) -> /account (a form post that
//      succeeds, then the page it leads to);
//   4. sign out (the header's form post) -> /login;
//   5. a failed sign-in (wrong password): the error in place;
//   6. the right password -> /account;
//   7. every request the page started has finished (CDP: loadingFinished or loadingFailed).
// Then, in a fresh page: a registration posted as soon as the page is hydrated, followed by
// Playwright's `waitForLoadState("networkidle")`; then the whole journey with JavaScript off.
//
// Definitions (all times are the page's own performance.now(), so Playwright's round trips do
// not count):
//   - bytes: bytes received for the requests started by the step, headers included
//     (`Network.loadingFinished.encodedDataLength`, plus any redirect responses), as served (the
//     static files precompressed, pages uncompressed); `body` is that minus the response headers
//     (`Network.responseReceived`'s `encodedDataLength`). Request bodies sent are not counted.
//   - click -> shown: from the click (a capture listener on window, which runs before any
//     script's) until the URL is the new page's, its <main> <h1> has the new heading (or, for an
//     error, the [role=alert] has the message).
//   - click -> interactive: shown, AND every <leptos-island> in the document is hydrated (its
//     hydration call, window.__hydrateIsland, has returned; islands present on the first page
//     count as hydrated once <body data-hydrated> is set), AND no form of the page is busy
//     (disabled submit button, aria-busy), AND no view transition is running (during one the
//     page receives no clicks). It is checked after every DOM mutation, history change,
//     hydration and transition end, so it is exact to the event, not to a polling interval.
//   - click -> hydrated: the same without the view-transition condition.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]?.startsWith("--") ? "true" : all[i + 1]]);
    return pairs;
  }, []),
);
const base = (args.url ?? process.env.BASE_URL ?? "").replace(/\/$/, "");
if (!base) {
  console.error("usage: node measure.mjs --url http://127.0.0.1:PORT [--label name] [--rounds N] [--out file.json]");
  process.exit(2);
}
const label = args.label ?? base;
const rounds = Number(args.rounds ?? 10);
const password = "correct horse battery";
const unique = (prefix) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
  ],
});

// Runs in every document before the page's scripts: records which islands were hydrated (by
// wrapping window.__hydrateIsland, which Leptos's island script defines and both navigations
// call), and when view transitions end.
function instrument() {
  const hydrated = new WeakSet();
  window.__bench = { hydrated, transitions: 0, onChange: () => {} };
  let real;
  const wrapped = async (el, id) => {
    try {
      return await real(el, id);
    } finally {
      hydrated.add(el);
      window.__bench.onChange();
    }
  };
  Object.defineProperty(window, "__hydrateIsland", {
    configurable: true,
    get: () => (real ? wrapped : undefined),
    set: (fn) => { real = fn; },
  });
  if (document.startViewTransition) {
    const start = document.startViewTransition.bind(document);
    document.startViewTransition = (...a) => {
      const t = start(...a);
      window.__bench.transitions += 1;
      t.finished.finally(() => { window.__bench.transitions -= 1; window.__bench.onChange(); });
      return t;
    };
  }
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name].bind(history);
    history[name] = (...a) => { const r = original(...a); window.__bench.onChange(); return r; };
  }
}

// In the page: arms the watch for the next click. `expect`: { path, heading } or { alert }.
function arm(expect) {
  const b = window.__bench;
  b.result = null;
  let t0 = null;
  let shown = null;
  let hydrated = null;
  const islandsHydrated = () => [...document.querySelectorAll("leptos-island")].every((el) => b.hydrated.has(el));
  const busy = () =>
    [...document.querySelectorAll("main form, header form")].some(
      (f) => f.getAttribute("aria-busy") === "true" || [...f.querySelectorAll("button[type=submit], button:not([type])")].some((x) => x.disabled),
    );
  const isShown = () => {
    if (expect.alert) {
      const alert = document.querySelector("main [role=alert]");
      return !!alert && alert.textContent.includes(expect.alert) && location.pathname === expect.path && alert.isConnected;
    }
    const h1 = document.querySelector("main h1");
    return location.pathname === expect.path && !!h1 && h1.textContent.trim() === expect.heading;
  };
  const check = () => {
    if (t0 === null || b.result) return;
    const now = performance.now();
    if (shown === null && isShown()) shown = now;
    const ready = shown !== null && isShown() && islandsHydrated() && !busy();
    if (ready && hydrated === null) hydrated = now;
    if (ready && b.transitions === 0) {
      b.result = { shown: shown - t0, hydrated: hydrated - t0, interactive: now - t0, marker: document.body.hasAttribute("data-hydrated") };
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  b.onChange = check;
  // What assistive technology is told: changes to live regions (aria-live, role=alert or
  // role=status, which are live by definition) after the click.
  b.live = [];
  b.liveObserver?.disconnect();
  const liveOf = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    return el?.closest?.("[aria-live], [role=alert], [role=status]") ?? null;
  };
  b.liveObserver = new MutationObserver((records) => {
    if (t0 === null) return;
    for (const r of records) {
      const regions = new Set([liveOf(r.target), ...[...r.addedNodes].flatMap((n) => n.nodeType === 1
        ? [liveOf(n), ...n.querySelectorAll("[aria-live], [role=alert], [role=status]")] : [liveOf(n)])]);
      for (const el of regions) if (el && el.isConnected) b.live.push({ region: (el.id ? "#" + el.id : el.getAttribute("role") ?? "aria-live"), text: el.textContent.trim() });
    }
  });
  b.liveObserver.observe(document, { subtree: true, childList: true, characterData: true });
  window.addEventListener("click", () => { if (t0 === null) t0 = performance.now(); }, { capture: true, once: true });
  window.__docMark ??= Math.random();
  return window.__docMark;
}

// Network accounting through CDP: every request of the page, from start to finish.
async function network(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  const requests = new Map();
  const get = (id) => requests.get(id);
  cdp.on("Network.requestWillBeSent", (e) => {
    const known = get(e.requestId);
    if (known && e.redirectResponse) {
      known.redirects.push({ url: known.url, status: e.redirectResponse.status, bytes: e.redirectResponse.encodedDataLength });
      known.url = e.request.url;
      known.method = e.request.method;
      return;
    }
    requests.set(e.requestId, {
      id: e.requestId, url: e.request.url, method: e.request.method, type: e.type, started: Date.now(),
      status: null, encoding: null, bytes: 0, body: 0, done: null, redirects: [],
    });
  });
  cdp.on("Network.responseReceived", (e) => {
    const r = get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    r.encoding = h["content-encoding"] ?? null;
    r.fromCache = e.response.fromDiskCache || e.response.fromPrefetchCache || false;
    r.headerBytes = e.response.encodedDataLength;
    r.bytes = r.headerBytes; // until loadingFinished says the whole (a request never finished keeps this)
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = get(e.requestId);
    if (r) { r.done = "finished"; r.bytes = e.encodedDataLength; r.body = Math.max(0, e.encodedDataLength - (r.headerBytes ?? 0)); }
  });
  cdp.on("Network.loadingFailed", (e) => {
    const r = get(e.requestId);
    if (r) { r.done = e.canceled ? "canceled" : `failed: ${e.errorText}`; }
  });
  let mark = new Set();
  return {
    all: () => [...requests.values()],
    pending: () => [...requests.values()].filter((r) => !r.done && !r.url.startsWith("data:")),
    // Starts a new tally: requests from now on.
    reset() { mark = new Set(requests.keys()); },
    since() {
      const list = [...requests.values()].filter((r) => !mark.has(r.id));
      const sum = (f) => list.reduce((n, r) => n + f(r), 0);
      return {
        requests: list.length,
        bytes: sum((r) => r.bytes + r.redirects.reduce((n, x) => n + x.bytes, 0)),
        body: sum((r) => r.body),
        list: list.map((r) => ({
          method: r.method, url: r.url.replace(base, ""), status: r.status, encoding: r.encoding,
          bytes: r.bytes + r.redirects.reduce((n, x) => n + x.bytes, 0), body: r.body, done: r.done,
          redirects: r.redirects.map((x) => `${x.status} ${x.url.replace(base, "")}`),
        })),
      };
    },
    // Until no request has been in flight for `quietMs` (or `timeoutMs` has passed).
    async quiet(quietMs = 500, timeoutMs = 10_000) {
      const start = Date.now();
      let quietSince = Date.now();
      while (Date.now() - start < timeoutMs) {
        if (this.pending().length) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return { quiet: true, waited: Date.now() - start };
        await new Promise((r) => setTimeout(r, 25));
      }
      return { quiet: false, waited: Date.now() - start, pending: this.pending().map((r) => `${r.method} ${r.url.replace(base, "")}`) };
    },
  };
}

async function waitForHydration(page) {
  await page.waitForSelector("body[data-hydrated]", { state: "attached", timeout: 30_000 });
  await page.evaluate(() => document.querySelectorAll("leptos-island").forEach((el) => window.__bench.hydrated.add(el)));
}

// The state the checks look at, read right after the step's page is interactive, and again
// once announcements have had time (navigation.js sets its region after 50 ms).
async function accessibility(page, expect) {
  return page.evaluate(async (expect) => {
    const describe = (el) => el && el !== document.body
      ? `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.getAttribute("role") ? "[role=" + el.getAttribute("role") + "]" : ""} "${el.textContent.trim().slice(0, 40)}"`
      : "body (nothing focused)";
    const focusNow = describe(document.activeElement);
    await new Promise((r) => setTimeout(r, 400));
    const live = window.__bench.live;
    // A page is announced when a live region says its title after the click; an error when a
    // live region (the alert) says the message after the click.
    const wanted = expect.alert ?? document.title;
    return {
      focus: focusNow,
      focusOnHeading: document.activeElement === document.querySelector("main h1"),
      focusOnAlert: !!document.activeElement?.matches?.("[role=alert]"),
      title: document.title,
      announced: live.some((r) => r.text.includes(wanted)),
      liveChanges: [...new Set(live.map((r) => `${r.region}: ${r.text.slice(0, 60)}`))],
      // The security-key script hides these notes when it runs (pages with key controls).
      keyNotesShown: [...document.querySelectorAll("[data-needs-javascript]")].filter((n) => !n.hidden).length,
    };
  }, expect);
}

// One step: arm, act, wait until interactive; returns timings, bytes and the checks.
async function step(page, net, expect, act) {
  net.reset();
  const mark = await page.evaluate(arm, expect);
  await act();
  let timing;
  try {
    await page.waitForFunction(() => window.__bench?.result, null, { timeout: 20_000, polling: 50 });
    timing = await page.evaluate(() => window.__bench.result);
  } catch (error) {
    const state = await page.evaluate(() => ({
      path: location.pathname, h1: document.querySelector("main h1")?.textContent,
      alert: document.querySelector("main [role=alert]")?.textContent,
      islands: [...document.querySelectorAll("leptos-island")].map((el) => `${el.dataset.component}:${window.__bench.hydrated.has(el)}`),
      transitions: window.__bench.transitions,
    })).catch((e) => String(e));
    timing = { error: `not interactive within 20 s: ${JSON.stringify(state)}` };
  }
  const a11y = await accessibility(page, expect);
  const quiet = await net.quiet(300, 3_000);
  const sameDocument = (await page.evaluate(() => window.__docMark)) === mark;
  return { expect, ...timing, ...a11y, sameDocument, network: net.since(), quietAfter: quiet };
}

const summary = (values) => {
  const v = values.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (!v.length) return null;
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return { n: v.length, median: at(0.5), min: v[0], max: v[v.length - 1], p90: at(0.9) };
};

const result = { label, url: base, date: new Date().toISOString(), chromium: browser.version(), rounds };

// ---- The journey with JavaScript on. -----------------------------------------------------------
{
  const context = await browser.newContext();
  await context.addInitScript(instrument);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console.${m.type()}: ${m.text()}`); });
  const net = await network(page);
  let documents = 0;
  page.on("request", (r) => { if (r.isNavigationRequest() && r.frame() === page.mainFrame()) documents += 1; });

  // 1. First visit.
  net.reset();
  const t = Date.now();
  await page.goto(`${base}/login`, { waitUntil: "load" });
  await waitForHydration(page);
  const firstQuiet = await net.quiet(1000, 15_000);
  const first = net.since();
  result.firstVisit = {
    bytes: first.bytes, body: first.body, requests: first.requests, hydratedAfterMs: Date.now() - t,
    quiet: firstQuiet, list: first.list,
    timing: await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
    }),
  };
  documents = 0;

  // The DOM a navigation leaves must be the page a fresh load gives (position-by-position
  // diffing, say, could keep pieces of the old page): compared on <main> and the islands.
  const shape = () => ({
    main: document.querySelector("main")?.innerText.trim(),
    header: document.querySelector("header")?.innerText.trim(),
    islands: [...document.querySelectorAll("leptos-island")].map((el) => el.dataset.component),
    forms: [...document.querySelectorAll("form")].map((f) => f.getAttribute("action")),
    title: document.title,
  });
  const fresh = {};
  for (const path of ["/login", "/register"]) {
    const other = await context.newPage();
    await other.goto(`${base}${path}`);
    await other.waitForSelector("body[data-hydrated]", { state: "attached" });
    fresh[path] = await other.evaluate(shape);
    await other.close();
  }

  // 2. Link navigations, round trips.
  const navs = [];
  for (let i = 0; i < rounds; i++) {
    navs.push(await step(page, net, { path: "/register", heading: "Create an account" },
      () => page.locator('main a[href="/register"]').click()));
    if (i === 0) navs[navs.length - 1].matchesFreshLoad = JSON.stringify(await page.evaluate(shape)) === JSON.stringify(fresh["/register"]);
    navs.push(await step(page, net, { path: "/login", heading: "Sign in" },
      () => page.locator('main a[href="/login"]').click()));
    if (i === 0) navs[navs.length - 1].matchesFreshLoad = JSON.stringify(await page.evaluate(shape)) === JSON.stringify(fresh["/login"]);
  }
  result.navigations = {
    bytes: summary(navs.map((n) => n.network.bytes)),
    body: summary(navs.map((n) => n.network.body)),
    requests: summary(navs.map((n) => n.network.requests)),
    shown: summary(navs.map((n) => n.shown)),
    hydrated: summary(navs.map((n) => n.hydrated)),
    interactive: summary(navs.map((n) => n.interactive)),
    focusOnHeading: navs.filter((n) => n.focusOnHeading).length + "/" + navs.length,
    announced: navs.filter((n) => n.announced).length + "/" + navs.length,
    sameDocument: navs.filter((n) => n.sameDocument).length + "/" + navs.length,
    matchesFreshLoad: navs.filter((n) => "matchesFreshLoad" in n).map((n) => `${n.expect.path}: ${n.matchesFreshLoad}`),
    errors: navs.filter((n) => n.error).map((n) => n.error),
    first: navs.slice(0, 2),
  };

  // 3. Register (a form post that succeeds) -> /account.
  const username = unique("nav");
  await step(page, net, { path: "/register", heading: "Create an account" }, () => page.locator('main a[href="/register"]').click());
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  result.registerPost = await step(page, net, { path: "/account", heading: "Your account" },
    () => page.getByRole("button", { name: "Create account" }).click());
  result.registerPost.status = await page.locator("main [role=status]").first().textContent().catch(() => null);

  // 4. Sign out -> /login.
  result.signOutPost = await step(page, net, { path: "/login", heading: "Sign in" },
    () => page.getByRole("button", { name: "Sign out", exact: true }).click());

  // 5. A failed sign-in: the error in place.
  await page.locator("#username").fill(username);
  await page.locator("#password").fill("wrong horse battery");
  result.failedSignIn = await step(page, net, { path: "/login", alert: "Wrong username or password" },
    () => page.getByRole("button", { name: "Sign in" }).click());
  result.failedSignIn.fieldsKept = {
    username: await page.locator("#username").inputValue(),
    password: (await page.locator("#password").inputValue()) ? "kept" : "emptied",
  };

  // 6. Sign in -> /account.
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  result.signInPost = await step(page, net, { path: "/account", heading: "Your account" },
    () => page.getByRole("button", { name: "Sign in" }).click());

  // 7. Every request started has finished.
  await page.waitForTimeout(2000);
  result.afterJourney = {
    documentsLoadedAfterFirst: documents,
    requests: net.all().length,
    pending: net.pending().map((r) => `${r.method} ${r.url.replace(base, "")} (status ${r.status}, started ${Date.now() - r.started} ms ago)`),
    errors,
  };
  await context.close();
}

// ---- networkidle right after a successful in-page form post. ------------------------------------
{
  const context = await browser.newContext();
  await context.addInitScript(instrument);
  const page = await context.newPage();
  const net = await network(page);
  await page.goto(`${base}/register`, { waitUntil: "commit" });
  await waitForHydration(page);
  await page.locator("#username").fill(unique("idle"));
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/account$/, { timeout: 15_000 });
  await page.waitForSelector("main h1:text('Your account')", { timeout: 15_000 });
  const start = Date.now();
  let networkidle;
  try {
    await page.waitForLoadState("networkidle", { timeout: 10_000 });
    networkidle = { reached: true, waitedMs: Date.now() - start };
  } catch {
    networkidle = { reached: false, waitedMs: Date.now() - start };
  }
  networkidle.pending = net.pending().map((r) => `${r.method} ${r.url.replace(base, "")} (status ${r.status})`);
  result.networkidleAfterPost = networkidle;
  await context.close();
}

// ---- The journey with JavaScript off. -----------------------------------------------------------
{
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const checks = {};
  const username = unique("nojs");
  try {
    await page.goto(`${base}/login`);
    await page.locator('main a[href="/register"]').click();
    await page.waitForURL(/\/register$/);
    checks.linkToRegister = (await page.locator("main h1").textContent()) === "Create an account";
    await page.locator("#username").fill(username);
    await page.locator("#password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/account$/);
    checks.register = (await page.locator("main h1").textContent()) === "Your account";
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(/\/login$/);
    checks.signOut = (await page.locator("main h1").textContent()) === "Sign in";
    await page.locator("#username").fill(username);
    await page.locator("#password").fill("wrong horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/login$/);
    checks.failedSignInShowsError = (await page.locator("main [role=alert]").textContent()).includes("Wrong username or password");
    await page.locator("#username").fill(username);
    await page.locator("#password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/account$/);
    checks.signIn = (await page.locator("main h1").textContent()) === "Your account";
  } catch (error) {
    checks.error = String(error).split("\n")[0];
  }
  checks.ok = !checks.error && ["linkToRegister", "register", "signOut", "failedSignInShowsError", "signIn"].every((k) => checks[k] === true);
  result.noJavaScript = checks;
  await context.close();
}

await browser.close();

// ---- Report. ------------------------------------------------------------------------------------
const n = result.navigations;
const ms = (s) => (s ? `${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})` : "n/a");
const steps = ["registerPost", "signOutPost", "failedSignIn", "signInPost"];
const lines = [
  `# ${label} (${base}, ${result.chromium})`,
  `first visit: ${result.firstVisit.bytes} bytes received (${result.firstVisit.body} body) in ${result.firstVisit.requests} requests`,
  `link navigation (x${n.bytes.n}): ${n.bytes.median} bytes (${n.body.median} body) in ${n.requests.median} request(s); click->shown ${ms(n.shown)}; click->hydrated ${ms(n.hydrated)}; click->interactive ${ms(n.interactive)}`,
  `  focus on heading ${n.focusOnHeading}, announced ${n.announced}, same document ${n.sameDocument}, DOM as a fresh load: ${n.matchesFreshLoad.join(", ")}`,
  ...steps.map((k) => {
    const s = result[k];
    return `${k}: ${s.network.bytes} bytes (${s.network.body} body) in ${s.network.requests} request(s) [${s.network.list.map((r) => `${r.method} ${r.url} ${r.status}${r.redirects.length ? " after " + r.redirects.join(",") : ""} ${r.done ?? "PENDING"}`).join("; ")}]; click->shown ${s.shown?.toFixed(0) ?? "-"} ms, hydrated ${s.hydrated?.toFixed(0) ?? "-"} ms, interactive ${s.interactive?.toFixed(0) ?? "-"} ms${s.error ? " ERROR " + s.error : ""}; focus ${s.focus}; announced ${s.announced}; same document ${s.sameDocument}; live regions ${JSON.stringify(s.liveChanges)}${s.keyNotesShown ? "; " + s.keyNotesShown + " 'keys need JavaScript' note(s) still shown" : ""}`;
  }),
  `failed sign-in: fields after the error: ${JSON.stringify(result.failedSignIn.fieldsKept)}`,
  `after the journey: ${result.afterJourney.documentsLoadedAfterFirst} documents loaded after the first; ${result.afterJourney.pending.length} of ${result.afterJourney.requests} requests still pending ${JSON.stringify(result.afterJourney.pending)}`,
  `waitForLoadState("networkidle") after a successful in-page post: ${result.networkidleAfterPost.reached ? "reached in " + result.networkidleAfterPost.waitedMs + " ms" : "TIMED OUT after 10 s"}; pending ${JSON.stringify(result.networkidleAfterPost.pending)}`,
  `JavaScript off: ${JSON.stringify(result.noJavaScript)}`,
  `page errors: ${JSON.stringify(result.afterJourney.errors)}`,
];
console.log(lines.join("\n"));
if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
