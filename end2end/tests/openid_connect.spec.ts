import { test, expect } from "@playwright/test";
import { codeFor, registerWithTwoFactor, uniqueName, waitForHydration } from "./support";

// An app with "Sign in with OpenID Connect" (end2end/relying_party.mjs, the npm `openid-client`
// package as the relying party), registered with `server oidc client add` by run-tests.sh.
const relyingParty = process.env.RELYING_PARTY_URL ?? "";

test("an app signs in through the portal with password and code, and learns who and how", async ({ page }) => {
  test.skip(!relyingParty, "run through end2end/run-tests.sh, which starts the relying party");
  const username = uniqueName("oidc");
  const password = "correct horse battery";

  // An account with two factors (the app asks for two), made on the portal.
  const secret = await registerWithTwoFactor(page, username, password);

  // "Sign in with …" on the app: to the portal, password, code, and back on the app.
  await page.goto(relyingParty);
  await page.getByRole("link", { name: "Sign in with Two-factor sign-in" }).click();
  await expect(page).toHaveURL(/\/login\?rd=%2Foidc%2Fauthorize%3F/);
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa\?rd=/);
  await waitForHydration(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();

  await expect(page).toHaveURL(new RegExp(`^${relyingParty}/callback\\?`));
  await expect(page.locator("#username")).toHaveText(username);
  await expect(page.locator("#amr")).toHaveText("pwd otp mfa");
  await expect(page.locator("#userinfo")).toHaveText(username);
});
