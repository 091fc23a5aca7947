// Security keys (WebAuthn), see security_keys.rs: the two requests of each ceremony around the
// browser's navigator.credentials. Loaded only by the pages with key controls; one listener on
// the document, so it also serves pages shown later by the in-page navigation.
function bytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)), (c) => c.charCodeAt(0));
}

function text(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function post(path, fields) {
  const response = await fetch(path, {
    method: "POST",
    headers: { Accept: "application/json", "X-In-Page": "1" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  let body = {};
  try {
    body = await response.json();
  } catch {}
  if (!response.ok) throw new Error(body.error || "Something went wrong. Please try again.");
  return { body, next: response.headers.get("x-next-page") };
}

// The server's options, with the binary fields as the browser wants them.
function publicKey(options, creating) {
  const key = JSON.parse(options).publicKey;
  key.challenge = bytes(key.challenge);
  if (creating) key.user.id = bytes(key.user.id);
  for (const credential of key.excludeCredentials || key.allowCredentials || []) credential.id = bytes(credential.id);
  return key;
}

function answer(credential) {
  const r = credential.response;
  const response = { clientDataJSON: text(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = text(r.attestationObject);
  } else {
    response.authenticatorData = text(r.authenticatorData);
    response.signature = text(r.signature);
    response.userHandle = r.userHandle ? text(r.userHandle) : null;
  }
  return JSON.stringify({ id: credential.id, rawId: text(credential.rawId), type: credential.type, response });
}

// Shown as the navigation script shows a form's error (announced, focused).
function showError(form, message) {
  if (window.__formError) window.__formError(form, message);
  else alert(message);
}

// A passkey sign-in: the challenge, the browser's chooser (or the username field's autofill,
// `mediation: "conditional"`), the answer. Returns the page to go to.
async function passkeySignIn(form, mediation, signal) {
  const { body } = await post("/api/login/passkey/start", {});
  const options = { publicKey: publicKey(body.options, false), signal };
  if (mediation) options.mediation = mediation;
  const credential = await navigator.credentials.get(options);
  const rd = form && form.querySelector("[name=rd]");
  return (await post("/api/login/passkey/finish", { credential: answer(credential), rd: rd ? rd.value : "" })).next;
}

// The username field's autofill offers the passkeys this site has (conditional mediation); the
// button's request replaces it.
let autofill = null;
async function offerPasskeysInAutofill() {
  const holder = document.querySelector("[data-passkeys]");
  if (!holder || !window.PublicKeyCredential) return;
  holder.hidden = false;
  if (autofill || !PublicKeyCredential.isConditionalMediationAvailable) return;
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
  if (!document.querySelector("input[autocomplete~=webauthn]")) return;
  const controller = new AbortController();
  autofill = controller;
  try {
    const next = await passkeySignIn(holder.querySelector("form"), "conditional", controller.signal);
    if (next) (window.__navigate || location.assign.bind(location))(next);
  } catch (error) {
    // Nobody asked for it: a failed autofill offer is not shown (the button and the password
    // form still work, and say what goes wrong when used).
    console.warn("passkey autofill:", error && error.message);
  } finally {
    if (autofill === controller) autofill = null;
  }
}

function stopAutofill() {
  if (autofill) {
    autofill.abort();
    autofill = null;
  }
}

async function ceremony(button, form) {
  if (!window.PublicKeyCredential) throw new Error("This browser cannot use security keys. Use a code instead.");
  if (button.dataset.securityKey === "passkey") {
    stopAutofill();
    return passkeySignIn(form, null, undefined);
  }
  if (button.dataset.securityKey === "add-passkey") {
    const name = form.querySelector("[name=name]");
    if (!name.reportValidity()) return null;
    const { body } = await post("/api/passkeys/add/start", { name: name.value });
    const credential = await navigator.credentials.create({ publicKey: publicKey(body.options, true) });
    return (await post("/api/passkeys/add/finish", { credential: answer(credential) })).next;
  }
  if (button.dataset.securityKey === "add") {
    const name = form.querySelector("[name=name]");
    if (!name.reportValidity()) return null;
    const { body } = await post("/api/security-keys/add/start", { name: name.value });
    const credential = await navigator.credentials.create({ publicKey: publicKey(body.options, true) });
    return (await post("/api/security-keys/add/finish", { credential: answer(credential) })).next;
  }
  if (button.dataset.securityKey === "reauthenticate") {
    const password = form.querySelector("[name=password]");
    if (!password.reportValidity()) return null;
    const { body } = await post("/api/reauthenticate/security-key/start", {});
    const credential = await navigator.credentials.get({ publicKey: publicKey(body.options, false) });
    const fields = { password: password.value, credential: answer(credential) };
    return (await post("/api/reauthenticate/security-key/finish", fields)).next || location.pathname;
  }
  const { body } = await post("/api/login/security-key/start", {});
  const credential = await navigator.credentials.get({ publicKey: publicKey(body.options, false) });
  const rd = form.querySelector("[name=rd]");
  const remember = form.querySelector("[name=remember_device]");
  const fields = { credential: answer(credential), rd: rd ? rd.value : "" };
  if (remember && remember.checked) fields.remember_device = "on";
  return (await post("/api/login/security-key/finish", fields)).next;
}

// The notes saying that keys need JavaScript: it runs.
function hideNotes() {
  for (const note of document.querySelectorAll("[data-needs-javascript]")) note.hidden = true;
}
hideNotes();
document.addEventListener("page-shown", hideNotes);
offerPasskeysInAutofill();
document.addEventListener("page-shown", () => {
  stopAutofill();
  offerPasskeysInAutofill();
});

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("button[data-security-key]");
  if (!button || button.disabled) return;
  event.preventDefault();
  const form = button.closest("form");
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const next = await ceremony(button, form);
    if (next) (window.__navigate || location.assign.bind(location))(next);
  } catch (error) {
    const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
    showError(form, cancelled ? "The security key did not answer (cancelled or timed out). Try again." : error.message);
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
});
