import { test, expect, Page, CDPSession } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { registerWithForm, uniqueName, waitForHydration } from "./support";

// Passkeys through Chromium's virtual authenticator: an internal (platform) authenticator with
// resident keys and user verification, as a phone or a laptop's fingerprint reader is. The
// server has a host name in PUBLIC_URL (run-tests.sh: http://localhost:<port>).
test.use({ baseURL: process.env.KEYS_BASE_URL ?? "http://localhost:3000" });

const password = "correct horse battery";

async function plugInPasskeyDevice(page: Page, verifies = true): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: verifies,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function signOut(page: Page): Promise<void> {
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/// Chromium's virtual authenticator answers an autofill (conditional) request at once, as no
/// person would: tests of the button turn the autofill off.
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) (PublicKeyCredential as any).isConditionalMediationAvailable = async () => false;
  });
}

test("a passkey: added on the account page, then signs in alone, with no username", async ({ page }) => {
  await withoutAutofill(page);
  const username = uniqueName("passkey");
  await registerWithForm(page, username, password);
  const { cdp, authenticatorId } = await plugInPasskeyDevice(page);
  await waitForHydration(page);

  await page.getByLabel("Key name").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  // The first key turns 2FA on: the recovery codes, once.
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const keys = page.getByRole("region", { name: "Security keys" });
  await expect(keys).toContainText("This laptop");
  await expect(keys).toContainText("passkey");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials.length).toBe(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  await signOut(page);
  await waitForHydration(page);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  // No username typed: the passkey names the account.
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#account-username")).toHaveText(username);
});

test("the username field's autofill offers the passkey (conditional mediation)", async ({ page }) => {
  const username = uniqueName("passkey-autofill");
  await registerWithForm(page, username, password);
  await plugInPasskeyDevice(page);
  await waitForHydration(page);
  await page.getByLabel("Key name").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  // Signed out (the cookies gone), back on /login: the autofill's request is answered.
  await page.context().clearCookies();
  await page.goto("/login");
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#account-username")).toHaveText(username);
});

test("a passkey whose device does not verify its user is refused", async ({ page }) => {
  await withoutAutofill(page);
  const username = uniqueName("passkey-uv");
  await registerWithForm(page, username, password);
  const { cdp, authenticatorId } = await plugInPasskeyDevice(page);
  await waitForHydration(page);
  await page.getByLabel("Key name").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  await signOut(page);

  // The same credential, but the PIN or fingerprint check now fails.
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login$/);
});

test("a passkey made for another site is refused", async ({ page, browser }) => {
  await withoutAutofill(page);
  // A passkey for this account made on the real site...
  const username = uniqueName("passkey-origin");
  await registerWithForm(page, username, password);
  const { cdp, authenticatorId } = await plugInPasskeyDevice(page);
  await waitForHydration(page);
  await page.getByLabel("Key name").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });

  // ...copied onto a device whose browser visits another origin (the default server, by IP:
  // another relying party): the browser offers nothing, or the server refuses; no sign-in.
  const other = await browser.newContext({ baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000" });
  const elsewhere = await other.newPage();
  const device = await plugInPasskeyDevice(elsewhere);
  for (const credential of credentials) {
    await device.cdp.send("WebAuthn.addCredential", { authenticatorId: device.authenticatorId, credential });
  }
  await elsewhere.goto("/login");
  await waitForHydration(elsewhere);
  const button = elsewhere.getByRole("button", { name: "Sign in with a passkey" });
  if (await button.isVisible()) {
    await button.click();
    await expect(elsewhere.getByRole("alert")).toBeVisible();
  }
  await elsewhere.goto("/account");
  await expect(elsewhere).toHaveURL(/\/login$/);
  await other.close();
});
