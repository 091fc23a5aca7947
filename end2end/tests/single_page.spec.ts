import { test, expect, Page, Request } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import {
  codeFor,
  expectNoCspViolations,
  registerWithForm,
  setupKey,
  uniqueName,
  waitForHydration,
  watchCsp,
  wrongCode,
} from "./support";

// With JavaScript on, the app is a single-page app: the document is loaded once, and links, the
// redirects after a form, and every form happen in the page (app/src/islands/navigation.js).

const password = "correct horse battery";

/// Marks the document: the mark survives only as long as no new document is loaded.
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as any).__firstDocument = "still here"));
}

async function expectSameDocument(page: Page, where: string): Promise<void> {
  expect(await page.evaluate(() => (window as any).__firstDocument), where).toBe("still here");
}

/// Counts the documents the browser loads from now on (a client-side navigation loads none).
function countDocuments(page: Page): () => number {
  let documents = 0;
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents += 1;
  });
  return () => documents;
}

test("the whole journey runs in one document", async ({ page }) => {
  await watchCsp(page);
  const username = uniqueName("spa");
  await page.goto("/register");
  await waitForHydration(page);
  await markDocument(page);
  const documents = countDocuments(page);

  // Register → account.
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("status")).toContainText("Welcome");
  await expectSameDocument(page, "after registering");

  // Account → setup → confirm (a wrong code first, shown in place) → recovery codes.
  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await expect(page).toHaveURL(/\/account\/2fa\/setup$/);
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not right");
  await expect(page.getByRole("alert")).toBeFocused();
  await expect(page).toHaveURL(/\/account\/2fa\/setup$/);
  // Each code is accepted once, and only the previous, current and next ones are: the journey
  // uses them in order (previous to confirm, current to sign in, next for new recovery codes).
  await page.getByLabel("6-digit code").fill(codeFor(secret, -1));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const codes = await page.locator("#recovery-code-list li").allInnerTexts();
  await expectSameDocument(page, "after confirming");

  // Sign out → password → code → account.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("wrong horse battery");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong username or password");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret, 0));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#two-factor-status")).toContainText("on");
  await expectSameDocument(page, "after signing in with a code");

  // The recovery form, and the 2FA-management forms.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await page.getByText("Use a recovery code").click();
  await page.getByLabel("Recovery code").fill(codes[0]);
  await page.getByRole("button", { name: "Use recovery code" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#recovery-codes-left")).toHaveText("9");

  const regenerate = page.locator("#regenerate-form");
  await regenerate.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await regenerate.getByRole("button", { name: "Make new recovery codes" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const fresh = await page.locator("#recovery-code-list li").allInnerTexts();

  const disable = page.locator("#disable-form");
  await disable.getByLabel("Password").fill(password);
  await disable.getByLabel("Code from your app, or a recovery code").fill(fresh[0]);
  await disable.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  await expect(page.locator("#two-factor-status")).toContainText("off");
  await expectSameDocument(page, "after the 2FA-management forms");

  expect(documents(), "documents loaded after the first").toBe(0);
  await expectNoCspViolations(page);
});

test("a form's button is disabled while it is sent, and an error is announced in place", async ({ page }) => {
  await page.goto("/login");
  await waitForHydration(page);
  await markDocument(page);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/login", async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel("Username").fill(uniqueName("nobody"));
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeDisabled();
  release();
  await expect(page.getByRole("alert")).toContainText("Wrong username or password");
  await expect(page.getByRole("alert")).toBeFocused();
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeEnabled();
  await expect(page).toHaveURL(/\/login$/);
  await expectSameDocument(page, "after the error");
});

test("back, forward and reload show each page at its own URL; the server still decides access", async ({ page }) => {
  const username = uniqueName("hist");
  await page.goto("/");
  await waitForHydration(page);
  await markDocument(page);
  await page.getByRole("link", { name: "Create an account" }).first().click();
  await expect(page).toHaveURL(/\/register$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create an account");
  await page.getByRole("link", { name: "Sign in" }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");

  await page.goBack();
  await expect(page).toHaveURL(/\/register$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create an account");
  await page.goForward();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await expectSameDocument(page, "after back and forward");

  await page.reload();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");

  // Signed out, a client-side move to /account lands on /login: the server redirects.
  await waitForHydration(page);
  await page.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/account";
    link.textContent = "account";
    document.querySelector("main")!.append(link);
  });
  await page.getByRole("link", { name: "account", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Signed in, the account page comes; after signing out, back does not show it again.
  await registerWithForm(page, username, password);
  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await expect(page).toHaveURL(/\/account\/2fa\/setup$/);
  const secret = await setupKey(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("body")).not.toContainText(secret.slice(0, 8));
  expect(await page.content()).not.toContain(secret);
});

test("a client-side navigation changes the title, moves the focus to the heading and is announced", async ({
  page,
}) => {
  await page.goto("/");
  await waitForHydration(page);
  await markDocument(page);
  await expect(page).toHaveTitle("Two-factor sign-in");
  await page.getByRole("link", { name: "Sign in" }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page).toHaveTitle("Sign in — Two-factor sign-in");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeFocused();
  await expect(page.locator("#page-announcer")).toHaveText("Sign in — Two-factor sign-in");
  await expect(page.locator("#page-announcer")).toHaveAttribute("aria-live", "assertive");
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations).toEqual([]);
  await expectSameDocument(page, "after the navigation");
});

test("the policy stays strict and each response has its own nonce", async ({ page, request }) => {
  const first = await request.get("/login");
  const second = await request.get("/login");
  const policy = first.headers()["content-security-policy"];
  expect(policy).not.toContain("unsafe-inline");
  expect(policy).not.toMatch(/(^|[^-])'unsafe-eval'/);
  const nonce = (p: string) => /'nonce-([^']+)'/.exec(p)?.[1];
  expect(nonce(policy)).toBeTruthy();
  expect(nonce(policy)).not.toBe(nonce(second.headers()["content-security-policy"]));
  // The in-page navigation script runs under that policy, by its nonce.
  await watchCsp(page);
  await page.goto("/");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Sign in" }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await expectNoCspViolations(page);
});

test("every request the page starts finishes, a successful form post's included", async ({ page }) => {
  await page.goto("/register");
  await waitForHydration(page);
  // A request whose answer is never read stays open until garbage collection: it is neither
  // finished nor failed, and a wait for the network to go quiet never ends.
  const open = new Set<Request>();
  page.on("request", (request) => open.add(request));
  page.on("requestfinished", (request) => open.delete(request));
  page.on("requestfailed", (request) => open.delete(request));
  await page.getByLabel("Username").fill(uniqueName("quiet"));
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("status")).toContainText("Welcome");
  await expect
    .poll(() => [...open].map((request) => `${request.method()} ${request.url()}`), { timeout: 5_000 })
    .toEqual([]);
  await page.waitForLoadState("networkidle", { timeout: 5_000 });
});
