import { test, expect } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { registerWithForm, setupKey, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

// Against the second server run-tests.sh starts with OTP_TYPE=hotp: counter-based codes,
// computed with the independent `otpauth` package.
const hotpBase = process.env.HOTP_BASE_URL;
test.skip(!hotpBase, "needs the HOTP server that run-tests.sh starts");
test.use({ baseURL: hotpBase });

function hotpCode(secret: string, counter: number): string {
  return new OTPAuth.HOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6 }).generate({ counter });
}

test("HOTP: enrol with the first code, sign in with the next", async ({ page }) => {
  const username = uniqueName("hotp");
  const password = "correct horse battery";
  await registerWithForm(page, username, password);
  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
  await expect(page.locator("#otp-parameters-warning")).toContainText("counter-based");
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(hotpCode(secret, 0));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  // The confirmation leads to the account page, which shows the new codes once.
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#two-factor-status")).toContainText("on");

  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  // The code just used is refused; the next press of the app's button gives one that works.
  await page.getByLabel("6-digit code").fill(hotpCode(secret, 0));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText("not right");
  await page.getByLabel("6-digit code").fill(hotpCode(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account$/);
});
