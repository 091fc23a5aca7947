import { test, expect, Page } from "@playwright/test";
import { codeFor, registerWithForm, setupKey, signOutAndEnterPassword, uniqueName, waitForHydration } from "./support";

const password = "correct horse battery";

async function registerAndEnrol(page: Page, username: string): Promise<{ secret: string; codes: string[] }> {
  await registerWithForm(page, username, password);
  await page.goto("/account/2fa/setup");
  await waitForHydration(page);
  const secret = await setupKey(page);
  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const codes = await page.locator("#recovery-code-list li").allInnerTexts();
  await expect(page.getByRole("link", { name: "Download .txt" })).toHaveAttribute("download", "recovery-codes.txt");
  return { secret, codes };
}

test("lose the phone: recovery code, new codes, 2FA off and on again", async ({ page }) => {
  const username = uniqueName("lost");
  const { secret, codes } = await registerAndEnrol(page, username);

  // The phone is gone: password, then a recovery code.
  await page.goto("/account");
  await signOutAndEnterPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/2fa$/);
  await waitForHydration(page);
  await page.getByText("Use a recovery code").click();
  await page.getByLabel("Recovery code").fill(codes[0].toUpperCase());
  await page.getByRole("button", { name: "Use recovery code" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#recovery-codes-left")).toHaveText("9");

  // New codes (a code from the app, e.g. restored from a backup of the phone).
  await waitForHydration(page);
  const regenerate = page.locator("#regenerate-form");
  await regenerate.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await regenerate.getByRole("button", { name: "Make new recovery codes" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  const fresh = await page.locator("#recovery-code-list li").allInnerTexts();
  expect(fresh).not.toContain(codes[1]);

  // Turn 2FA off with the password and one of the new recovery codes.
  const disable = page.locator("#disable-form");
  await disable.getByLabel("Password").fill(password);
  await disable.getByLabel("Code from your app, or a recovery code").fill(fresh[0]);
  await disable.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  await expect(page.locator("#two-factor-status")).toContainText("off");
  // The security log is on the sessions page of the account area.
  const account = page.getByRole("navigation", { name: "Account" });
  await account.getByRole("link", { name: "Sessions" }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.locator("#security-log")).toContainText("Two-factor authentication turned off");
  await account.getByRole("link", { name: "Security" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // On again: a fresh setup with a new key.
  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await waitForHydration(page);
  const newSecret = await setupKey(page);
  expect(newSecret).not.toBe(secret);
  await page.getByLabel("6-digit code").fill(codeFor(newSecret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
});

test("Copy all puts every recovery code on the clipboard", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const { codes } = await registerAndEnrol(page, uniqueName("copyall"));
  await page.getByRole("button", { name: "Copy all" }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  for (const code of codes) expect(copied).toContain(code);
});
