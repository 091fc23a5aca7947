import { test, expect } from "@playwright/test";
import { codeFor, registerWithTwoFactor, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

const password = "correct horse battery";

test("a remembered device skips the code, and after Forget it asks again", async ({ page }) => {
  const username = uniqueName("remember");
  const secret = await registerWithTwoFactor(page, username, password);

  // The password, then the code with "Don't ask again on this device" ticked (unticked at first).
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  const remember = page.getByRole("checkbox", { name: "Don't ask again on this device for 30 days" });
  await expect(remember).not.toBeChecked();
  await remember.check();
  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // On this browser the password alone signs in now.
  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/account$/);

  // The sessions page lists the device; "Forget" names it.
  await page.goto("/account/sessions");
  await waitForHydration(page);
  const devices = page.locator("#remembered-devices li");
  await expect(devices).toHaveCount(1);
  await expect(devices.first()).toContainText("This device");
  await page.getByRole("button", { name: /^Forget / }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.locator("#no-remembered-devices")).toHaveText("None yet.");

  // Forgotten: the code is asked again.
  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
});
