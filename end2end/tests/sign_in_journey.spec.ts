import { test, expect } from "@playwright/test";
import { codeFor, expectNoCspViolations, setupKey, uniqueName, waitForHydration, watchCsp, wrongCode } from "./support";

test("register, turn on 2FA, sign out, sign in with password and code", async ({ page }) => {
  // The whole journey runs under the Content-Security-Policy: hydration and WASM must not trip it.
  await watchCsp(page);
  const username = uniqueName("alice");
  const password = "correct horse battery";

  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#two-factor-status")).toContainText("off");

  await page.getByRole("link", { name: "Turn on two-factor authentication" }).click();
  await expect(page).toHaveURL(/\/account\/2fa\/setup$/);
  await waitForHydration(page);
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = await setupKey(page);
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);

  // A wrong code is refused in place, and 2FA stays off.
  await page.getByLabel("6-digit code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not right");

  await page.getByLabel("6-digit code").fill(codeFor(secret));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.locator("#recovery-code-list li")).toHaveCount(10);
  // The confirmation leads to the account page, which shows the new codes once.
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#two-factor-status")).toContainText("on");

  await waitForHydration(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await waitForHydration(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/login\/2fa$/);

  await waitForHydration(page);
  await page.getByLabel("6-digit code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not right");

  await page.getByLabel("6-digit code").fill(codeFor(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("#account-username")).toHaveText(username);
  await expect(page.locator("#two-factor-status")).toContainText("on");
  await waitForHydration(page);
  await expectNoCspViolations(page);
});

test("a wrong password brings back the sign-in page with the error, focused", async ({ page }) => {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username").fill(uniqueName("nobody"));
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page).toHaveURL(/\/login$/);
  // The error island takes the focus, so keyboard and screen-reader users land on it.
  await waitForHydration(page);
  await expect(page.getByRole("alert")).toBeFocused();
});
