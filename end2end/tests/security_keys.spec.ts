import { test, expect, Page, CDPSession, Browser } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { registerWithForm, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

// Security keys through Chromium's virtual authenticator (the DevTools protocol's WebAuthn
// domain): a USB CTAP2 key that answers without a touch. The server for these tests has a host
// name in PUBLIC_URL (browsers take no IP address as a relying party's id): run-tests.sh starts
// it on http://localhost:<port>.
test.use({ baseURL: process.env.KEYS_BASE_URL ?? "http://localhost:3000" });

const password = "correct horse battery";

/// A virtual security key plugged into the page's browser.
async function plugInKey(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: false,
      hasUserVerification: false,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/// WCAG 2.1 A and AA, as tests/accessibility.spec.ts checks every other page.
async function expectNoAxeViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, what).toEqual([]);
}

/// The security log, as /account/sessions shows it (read in another tab of the same browser, so
/// the page under test stays where it is).
async function securityLog(page: Page): Promise<string> {
  const tab = await page.context().newPage();
  await tab.goto("/account/sessions");
  const log = await tab.locator("#security-log").innerText();
  await tab.close();
  return log;
}

/// In another browser (its own virtual key, unknown to the account): the password, then the key.
async function tryWithAnotherKey(browser: Browser, username: string): Promise<void> {
  const context = await browser.newContext({ baseURL: process.env.KEYS_BASE_URL ?? "http://localhost:3000" });
  const page = await context.newPage();
  await plugInKey(page);
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await page.getByRole("button", { name: "Use a security key" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await context.close();
}

test("a security key: added as the only factor, signs in; another key and a bogus signature are refused; removed", async ({
  page,
  browser,
}) => {
  const username = uniqueName("key");
  await registerWithForm(page, username, password);
  const { cdp, authenticatorId } = await plugInKey(page);
  await waitForHydration(page);
  await expectNoAxeViolations(page, "/account with the key controls");

  // The first key turns 2FA on and shows the recovery codes once.
  await page.getByLabel("Key name").fill("Blue key");
  await page.getByRole("button", { name: "Add a security key" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const codes = await page.locator("#recovery-code-list li").allInnerTexts();
  await expect(page.getByRole("region", { name: "Security keys" })).toContainText("Blue key");
  await expect(page.locator("#two-factor-status")).toContainText("On");
  expect(await securityLog(page)).toContain("Security key added: Blue key");
  await expectNoAxeViolations(page, "/account with a key");

  // Sign out; the password, then the key.
  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  await expectNoAxeViolations(page, "/login/2fa with a key");
  await page.getByRole("button", { name: "Use a security key" }).click();
  await expect(page).toHaveURL(/\/account$/);
  expect(await securityLog(page)).toContain("Signed in with password and a security key: Blue key");

  // A key this account does not know, in another browser: refused.
  await tryWithAnotherKey(browser, username);

  // The right key with a bogus signature: refused by the server, and counted.
  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId, isBogusSignature: true });
  await page.getByRole("button", { name: "Use a security key" }).click();
  await expect(page.getByRole("alert")).toContainText("security key was not accepted");
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId, isBogusSignature: false });
  await page.getByRole("button", { name: "Use a security key" }).click();
  await expect(page).toHaveURL(/\/account$/);
  expect(await securityLog(page)).toContain("Failed sign-in: a security key was not accepted");

  // Removing the only second factor asks for the password and a recovery code.
  await waitForHydration(page);
  const keys = page.locator("#security-keys");
  await keys.getByLabel("Password", { exact: true }).fill(password);
  await keys.getByLabel("A recovery code").fill(codes[0]);
  await keys.getByRole("button", { name: "Remove Blue key" }).click();
  await expect(page.locator("#two-factor-status")).toContainText("Off");
  await expect(page.locator("#security-keys")).toHaveCount(0);
  expect(await securityLog(page)).toContain("Security key removed: Blue key");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the key controls say they need JavaScript", async ({ page }) => {
    const username = uniqueName("nokey");
    await page.goto("/register");
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByText("Security keys need JavaScript")).toBeVisible();
  });
});
