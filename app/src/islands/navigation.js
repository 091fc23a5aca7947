// In-page navigation and forms (see navigation.rs). Without this script every link and form
// still works as plain HTML; with it, the document is loaded once.
const IN_PAGE = { "X-In-Page": "1" };
let current = 0;

function ours(url) {
  return url.origin === location.origin && !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/pkg/");
}

function announcer() {
  let region = document.getElementById("page-announcer");
  if (!region) {
    region = document.createElement("p");
    region.id = "page-announcer";
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "assertive");
    region.setAttribute("aria-atomic", "true");
  }
  return region;
}

async function show(page) {
  document.title = page.title;
  const region = announcer();
  // The new page's hydration marker (an island, hydrated last) sets it again.
  document.body.removeAttribute("data-hydrated");
  document.body.replaceChildren(...page.body.childNodes);
  document.body.append(region);
  // Scripts of the new page (the security-key controls'): parsed ones do not run, new ones do
  // (a module runs once per document).
  for (const old of document.body.querySelectorAll("script[src]")) {
    const script = document.createElement("script");
    script.type = old.type;
    script.src = old.src;
    old.replaceWith(script);
  }
  if (!window.__hydrateIsland) return; // the WASM is still loading: it hydrates what it finds
  for (const island of document.body.querySelectorAll("leptos-island")) {
    try {
      await window.__hydrateIsland(island, island.dataset.component);
    } catch (error) {
      console.error(error);
    }
  }
}

function arrive(url) {
  const target = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
  if (target) target.scrollIntoView();
  else window.scrollTo(0, 0);
  const heading = document.querySelector("main h1");
  if (heading && !document.querySelector("main [role=alert]")) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  const region = announcer();
  region.textContent = "";
  setTimeout(() => { region.textContent = document.title; }, 50);
  document.dispatchEvent(new CustomEvent("page-shown", { detail: location.pathname }));
}

async function navigate(to, replace) {
  const id = ++current;
  const url = new URL(to, location.href);
  if (url.origin !== location.origin) {
    // A protected app the sign-in was for (`rd`): another site, another document.
    location.assign(url);
    return;
  }
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "text/html", ...IN_PAGE }, credentials: "same-origin" });
  } catch {
    location.assign(url);
    return;
  }
  if (id !== current) {
    response.body?.cancel(); // a later navigation won: this request ends here
    return;
  }
  if (!(response.headers.get("content-type") || "").startsWith("text/html")) {
    location.assign(response.url || url);
    return;
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  if (id !== current) return;
  const landed = new URL(response.url || url);
  landed.hash = url.hash;
  const shown = show(page);
  if (replace) history.replaceState(null, "", landed);
  else history.pushState(null, "", landed);
  arrive(landed);
  await shown;
}

function formError(form, message) {
  let notice = form.querySelector("[data-form-error]");
  if (!notice) {
    notice = document.createElement("p");
    notice.className = "notice error";
    notice.setAttribute("role", "alert");
    notice.setAttribute("tabindex", "-1");
    notice.dataset.formError = "";
    form.prepend(notice);
  }
  notice.textContent = message;
  notice.focus();
}

async function send(form, submitter) {
  const buttons = [...form.querySelectorAll("button, input[type=submit]")].filter((b) => !b.disabled);
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", ...IN_PAGE },
      body: new URLSearchParams(new FormData(form, submitter)),
      credentials: "same-origin",
    });
    if (response.ok) {
      // Read the answer to its end (a few bytes of JSON): a body never read keeps the request
      // open in the browser until garbage collection, and "network idle" never comes.
      await response.arrayBuffer();
      await navigate(response.headers.get("x-next-page") || location.href, !response.headers.has("x-next-page"));
      return;
    }
    let message = "Something went wrong. Please try again.";
    try {
      message = (await response.json()).error || message;
    } catch {}
    formError(form, message);
  } catch {
    formError(form, "The server could not be reached. Check your connection and try again.");
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
  }
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download") || link.relList.contains("external")) return;
  const url = new URL(link.href);
  if (!ours(url) || (url.pathname === location.pathname && url.search === location.search && url.hash)) return;
  event.preventDefault();
  navigate(url, false);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method !== "post") return;
  const action = new URL(form.action);
  if (action.origin !== location.origin || !action.pathname.startsWith("/api/")) return;
  event.preventDefault();
  if (form.getAttribute("aria-busy") !== "true") send(form, event.submitter);
});

window.addEventListener("popstate", () => navigate(location.href, true));

// /login's passkey controls: their script (WebAuthn) is fetched only by a browser that has
// WebAuthn, once (a module runs once per document).
function loadPasskeyScript() {
  const holder = document.querySelector("[data-passkey-script]");
  if (!holder || !window.PublicKeyCredential || document.querySelector("script[data-passkeys-loaded]")) return;
  const script = document.createElement("script");
  script.type = "module";
  script.src = `${holder.dataset.pkg}/${holder.dataset.passkeyScript}`;
  script.dataset.passkeysLoaded = "";
  document.head.append(script);
}
loadPasskeyScript();
document.addEventListener("page-shown", loadPasskeyScript);

// For the security-key script: the page a finished ceremony leads to, in the page, and an
// error shown in its form as a form's own.
window.__navigate = (to) => navigate(to, false);
window.__formError = formError;
