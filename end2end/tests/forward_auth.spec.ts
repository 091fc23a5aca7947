import { test, expect } from "@playwright/test";
import { codeFor, registerWithTwoFactor, uniqueName, waitForHydration } from "./support";

// An app behind Caddy and the forward-auth gate (run-tests.sh starts them; the Caddy
// configuration is the README's). Chromium finds *.example.test at 127.0.0.1, so the portal and
// the app are two sites of one parent domain, as in a deployment.
const portal = process.env.PORTAL_URL ?? "";
const protectedApp = process.env.PROTECTED_APP_URL ?? "";

// Chromium finds *.example.test at 127.0.0.1 (playwright.config.ts).
test.use({ baseURL: portal });


test("a protected app sends the browser to the portal and back, and closes again after logout", async ({ page }) => {
  test.skip(!portal || !protectedApp, "run through end2end/run-tests.sh, which starts Caddy and the app");
  const username = uniqueName("gate");
  const password = "correct horse battery";

  // An account with two factors (the app asks for two), made on the portal.
  const secret = await registerWithTwoFactor(page, username, password);

  // The app's page, asked for by a signed-out browser: to the portal, with the page in `rd`.
  const target = `${protectedApp}/notes?id=7`;
  await page.goto(target);
  await expect(page).toHaveURL(`${portal}/login?rd=${encodeURIComponent(target)}`);
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa\?rd=/);
  await waitForHydration(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();

  // Back on the app's page, query string and all; the app was told who signed in.
  await expect(page).toHaveURL(target);
  await expect(page.locator("#who")).toHaveText(`Hello, ${username}`);
  await expect(page.locator("#path")).toHaveText("/notes?id=7");

  // Logout on the portal closes the app again.
  await page.goto("/account");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(target);
  await expect(page).toHaveURL(`${portal}/login?rd=${encodeURIComponent(target)}`);
});

test("a rule's max_age sends an older sign-in back to the portal for the password and code, then to the app", async ({ page }) => {
  test.skip(!portal || !protectedApp, "run through end2end/run-tests.sh, which starts Caddy and the app");
  // Up to a 30-second time step to wait for a code not used yet, plus the 5 seconds of max_age.
  test.setTimeout(120_000);
  const username = uniqueName("fresh");
  const password = "correct horse battery";
  const secret = await registerWithTwoFactor(page, username, password);

  // run-tests.sh's rules: /fresh/ on the app asks for a sign-in at most 5 seconds old.
  const target = `${protectedApp}/fresh/report?q=1`;
  const signIn = async (code: string) => {
    await expect(page).toHaveURL(`${portal}/login?rd=${encodeURIComponent(target)}`);
    await waitForHydration(page);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/login\/2fa\?rd=/);
    await waitForHydration(page);
    await page.getByLabel("6-digit code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(target);
    await expect(page.locator("#who")).toHaveText(`Hello, ${username}`);
  };
  await page.goto(target);
  const usedStep = Math.floor(Date.now() / 30_000) + 1;
  await signIn(codeFor(secret, 1));

  // Older than 5 seconds: the gate sends the browser back to the portal, which shows its form
  // although the session is signed in (it stays signed in: the account page still opens).
  await page.waitForTimeout(6_000);
  await page.goto(target);
  await expect(page).toHaveURL(`${portal}/login?rd=${encodeURIComponent(target)}`);
  await expect(page.getByLabel("Password")).toBeVisible();
  // A code is taken once per time step: wait for the step after the one used.
  while (Math.floor(Date.now() / 30_000) < usedStep) await page.waitForTimeout(1_000);
  await signIn(codeFor(secret, 1));
});
